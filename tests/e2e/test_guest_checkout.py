"""A guest buys with a WhatsApp number only, on a 360 px phone: the address is chosen from
the official lists filtered in place, each household's shipping follows the address live,
and the pay page charges exactly the total the summary showed, with the same breakdown."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.catalog.models import Product, Seller
from marketplace.db import db
from marketplace.orders import shipping
from tests.cleanup import committing_session, purge_orders_of
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import assert_fits_the_phone, sign_in_as

pytestmark = pytest.mark.e2e

GUEST = "Ibu Tamu WhatsApp E2E"


@pytest.fixture
def real_session(app):
    with committing_session(lambda: purge_orders_of("", name=GUEST)) as session:
        yield session


def _two_households() -> list[Product]:
    """One ready product from each of two households (the demo catalogue)."""
    products: dict[int, Product] = {}
    stmt = (
        select(Product)
        .join(Product.seller)
        .where(Product.status == "published", Product.stock > 2, ~Product.is_made_to_order)
        .order_by(Product.id)
    )
    for product in db.session.scalars(stmt):
        products.setdefault(product.seller_id, product)
        if len(products) == 2:
            break
    return list(products.values())


def test_a_guest_with_a_whatsapp_number_sees_shipping_live_and_pays_that(real_session, open_phone):
    products = _two_households()
    slugs = [product.slug for product in products]
    # to Kalimantan Timur every household's parcel is in the Kalimantan zone
    expected = {
        db.session.get(Seller, product.seller_id).shop_name: shipping.shipping_amount(
            shipping.KALIMANTAN, product.weight_grams
        )
        for product in products
    }
    goods = sum(product.price_now for product in products)
    db.session.rollback()

    buyer = open_phone("guest")
    for slug in slugs:
        buyer.goto(f"/produk/{slug}")
        buyer.get_by_role("button", name="Masukkan keranjang").click()
        expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
    buyer.goto("/checkout")
    buyer.evaluate("window.stayedOnThisPage = true")
    expect(buyer.locator("[data-estimate]")).to_be_visible()  # no kabupaten/kota yet

    buyer.get_by_label("Nama penerima").fill(GUEST)
    buyer.get_by_label("Nomor WhatsApp").fill("0812 7777 1234")
    # No e-mail: it is optional.
    buyer.get_by_label("Provinsi").select_option(label="Kalimantan Timur")
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Samarinda")
    buyer.get_by_label("Kecamatan").select_option(label="Sungai Kunjang")
    expect(buyer.locator("[data-postal-codes]")).to_contain_text("Kode pos di kecamatan ini:")
    postal_code = buyer.locator("#postal-codes option").first.get_attribute("value")
    buyer.get_by_label("Kode pos").fill(postal_code)
    buyer.get_by_label("Alamat", exact=True).fill("Jl. Pahlawan No. 7")

    # each household's shipping, shown live for Samarinda
    for shop, amount in expected.items():
        group = buyer.locator(".cart-group", has=buyer.get_by_role("heading", name=shop))
        expect(group.locator("[data-shipping] span").last).to_have_text(_rupiah(amount))
    total = goods + sum(expected.values())
    expect(buyer.locator("[data-totals] strong")).to_have_text(_rupiah(total))
    assert buyer.evaluate("window.stayedOnThisPage") is True  # the lists filled in place
    expect(buyer.locator("[data-estimate]")).to_be_hidden()
    expect(buyer.get_by_text("ongkir dihitung per rumah tangga")).to_be_visible()
    assert_fits_the_phone(buyer)
    ARTIFACTS.mkdir(exist_ok=True)
    buyer.screenshot(path=ARTIFACTS / "guest-checkout-summary.png", full_page=True)

    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    expect(buyer.get_by_role("heading", name="Mode uji")).to_be_visible()
    expect(buyer.locator(".price.big")).to_have_text(_rupiah(total))
    for shop, amount in expected.items():
        row = buyer.get_by_role("row", name=shop)
        expect(row.locator("td").last).to_have_text(_rupiah(amount))
    expect(buyer.get_by_role("row", name="Total dibayar")).to_contain_text(_rupiah(total))
    assert_fits_the_phone(buyer)


def _rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def test_without_javascript_the_lists_open_through_hitung_ongkir(real_session, open_phone):
    slug = _two_households()[0].slug
    db.session.rollback()
    buyer = open_phone("no-script", java_script_enabled=False)
    buyer.goto(f"/produk/{slug}")
    buyer.get_by_role("button", name="Masukkan keranjang").click()
    buyer.goto("/checkout")
    buyer.get_by_label("Nama penerima").fill(GUEST)
    buyer.get_by_label("Provinsi").select_option(label="Kalimantan Timur")
    buyer.get_by_role("button", name="Hitung ongkir").click()
    # the kabupaten list is Kalimantan Timur's now, and what was typed stays
    expect(buyer.get_by_label("Nama penerima")).to_have_value(GUEST)
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Samarinda")
    buyer.get_by_role("button", name="Hitung ongkir").click()
    buyer.get_by_label("Kecamatan").select_option(label="Sungai Kunjang")
    buyer.get_by_role("button", name="Hitung ongkir").click()
    expect(buyer.locator("[data-postal-codes]")).to_contain_text("75125")
    assert "Kota Tarakan" not in buyer.get_by_label("Kabupaten/kota", exact=True).inner_text()
    assert_fits_the_phone(buyer)


def test_a_signed_in_buyer_keeps_an_address_and_checks_out_with_it(accounts, open_phone):
    account = accounts.create(name="Ibu Buku Alamat")
    buyer = open_phone("address-book")
    sign_in_as(buyer, account)
    buyer.goto("/akun/alamat")
    buyer.get_by_label("Nama alamat").fill("Rumah Samarinda")
    buyer.get_by_label("Nama penerima").fill("Ibu Buku Alamat")
    buyer.get_by_label("Nomor WhatsApp").fill("0812 7777 4321")
    buyer.get_by_label("Provinsi").select_option(label="Kalimantan Timur")
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Samarinda")
    buyer.get_by_label("Kecamatan").select_option(label="Sungai Kunjang")
    buyer.get_by_label("Alamat", exact=True).fill("Jl. Pahlawan No. 9")
    buyer.get_by_label("Kode pos").fill("75125")
    buyer.get_by_role("button", name="Simpan alamat").click()
    expect(buyer.get_by_role("status")).to_have_text("Alamat disimpan.")
    expect(buyer.get_by_role("heading", name="Rumah Samarinda")).to_be_visible()
    expect(
        buyer.get_by_text("Jl. Pahlawan No. 9, Sungai Kunjang, Kota Samarinda, 75125")
    ).to_be_visible()
    assert_fits_the_phone(buyer)

    buyer.goto(f"/produk/{_two_households()[0].slug}")
    db.session.rollback()
    buyer.get_by_role("button", name="Masukkan keranjang").click()
    buyer.goto("/checkout")
    # the saved address is where the checkout starts
    expect(buyer.get_by_label("Kabupaten/kota", exact=True)).to_have_value("64.72")
    expect(buyer.get_by_label("Alamat", exact=True)).to_have_value("Jl. Pahlawan No. 9")
    expect(buyer.get_by_label("Rumah Samarinda", exact=False)).to_be_checked()
    assert_fits_the_phone(buyer)
