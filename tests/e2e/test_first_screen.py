"""What a buyer sees without scrolling on a small phone, and the cart's one-tap quantities."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    assert_fits_the_phone,
    assert_on_first_screen,
    new_shop_details,
    portrait_photo,
)

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 640}


@pytest.fixture
def portrait_product(accounts) -> tuple[str, str]:
    """A public product whose only photo is a real portrait (3:4) photo: its name and slug."""
    shop = new_shop_details()
    accounts.create_household(shop)
    name = "Tas Rotan Lundayeh Motif Burung Enggang"
    return name, accounts.publish_product(shop, name, portrait_photo())


def test_a_portrait_photo_leaves_name_price_and_button_on_the_first_screen(
    open_phone, portrait_product
):
    name, slug = portrait_product
    phone = open_phone("visitor", viewport=SMALL_PHONE)
    phone.goto(f"/produk/{slug}")
    photo = phone.locator(".gallery img")
    # The photo really is upright and fills the width: it alone is taller than the screen
    # left under the header.
    box = photo.bounding_box()
    assert box["height"] > box["width"] and box["y"] + box["height"] > SMALL_PHONE["height"]

    bar = phone.locator(".buy-bar")
    assert_on_first_screen(
        phone,
        bar.get_by_text(name),
        bar.get_by_text("Rp185.000"),
        bar.get_by_role("button", name="Masukkan keranjang"),
    )
    assert_fits_the_phone(phone)

    bar.get_by_role("button", name="Masukkan keranjang").click()
    expect(bar.get_by_role("status")).to_have_text(
        "Produk dimasukkan ke keranjang. Lihat keranjang"
    )
    assert_on_first_screen(phone, bar.get_by_role("link", name="Lihat keranjang"))

    # Read to the end of the description: the bar stays at hand.
    phone.get_by_role("heading", name="Tentang produk").scroll_into_view_if_needed()
    assert_on_first_screen(phone, bar.get_by_role("button", name="Masukkan keranjang"))


def test_the_demo_product_page_also_fits_a_small_phone(open_phone):
    phone = open_phone("visitor", viewport=SMALL_PHONE)
    phone.goto("/produk/amplang-ikan-tenggiri")
    bar = phone.locator(".buy-bar")
    assert_on_first_screen(
        phone,
        bar.get_by_text("Amplang Ikan Tenggiri"),
        bar.get_by_text("Rp35.000"),
        bar.get_by_role("button", name="Masukkan keranjang"),
    )


def _cart_with_one_amplang(phone) -> None:
    phone.goto("/produk/amplang-ikan-tenggiri")
    phone.get_by_role("button", name="Masukkan keranjang").click()
    expect(phone.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
    phone.goto("/keranjang")
    expect(phone.get_by_label("Jumlah")).to_have_value("1")


def test_one_tap_changes_a_quantity_in_place(open_phone):
    phone = open_phone("buyer", viewport=SMALL_PHONE)
    _cart_with_one_amplang(phone)
    less = phone.get_by_role("button", name="Kurangi satu Amplang Ikan Tenggiri")
    more = phone.get_by_role("button", name="Tambah satu Amplang Ikan Tenggiri")
    expect(less).to_be_disabled()
    # A mark on this very page: it survives only if the page is not loaded again.
    phone.evaluate("window.stillHere = true")

    more.click()
    expect(phone.get_by_label("Jumlah")).to_have_value("2")
    expect(phone.locator(".cart-amount")).to_have_text("Rp70.000")
    expect(phone.locator(".totals")).to_contain_text(re.compile(r"Harga barang\s*Rp70\.000"))
    expect(more).to_be_focused()
    more.click()
    expect(phone.get_by_label("Jumlah")).to_have_value("3")
    less.click()
    expect(phone.get_by_label("Jumlah")).to_have_value("2")
    expect(phone.locator(".cart-link")).to_have_text("Keranjang (2)")
    assert phone.evaluate("window.stillHere") is True
    for button in (less, more):
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44


def test_one_tap_changes_a_quantity_without_javascript(open_phone):
    phone = open_phone("buyer", viewport=SMALL_PHONE, java_script_enabled=False)
    _cart_with_one_amplang(phone)
    phone.get_by_role("button", name="Tambah satu Amplang Ikan Tenggiri").click()
    expect(phone.get_by_label("Jumlah")).to_have_value("2")
    expect(phone.locator(".cart-amount")).to_have_text("Rp70.000")
    phone.get_by_role("button", name="Kurangi satu Amplang Ikan Tenggiri").click()
    expect(phone.get_by_label("Jumlah")).to_have_value("1")
