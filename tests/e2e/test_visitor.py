"""A visitor on a phone: search, product page, shop, filters, language."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    assert_fits_the_phone,
    filter_products,
    loaded_image_source,
    open_card,
    rupiah_values,
    search_from_header,
    switch_language,
)

pytestmark = pytest.mark.e2e


def test_visitor_searches_amplang_and_meets_the_household(phone):
    phone.goto("/")
    search_from_header(phone, "amplang")
    open_card(phone, "Amplang Ikan Tenggiri")

    expect(phone.locator(".summary .price")).to_have_text(re.compile(r"^Rp35\.000 / bungkus"))
    expect(phone.locator(".facts")).to_contain_text(re.compile(r"P-IRT No\. \d{13}-\d{2}"))
    hero = loaded_image_source(phone, ".gallery img")
    offered = [entry.split()[0] for entry in hero["srcset"].split(", ")]
    # The browser took one of the offered sizes, and it is a WebP.
    assert urlsplit(hero["current"]).path in offered
    assert hero["current"].endswith(".webp")
    photo = phone.request.get(hero["current"])
    assert photo.headers["content-type"] == "image/webp"
    assert photo.body()[:4] == b"RIFF" and photo.body()[8:12] == b"WEBP"
    assert_fits_the_phone(phone)

    phone.locator(".seller-line").get_by_role("link", name="Amplang Bu Siti").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Amplang Bu Siti")
    expect(phone.locator(".card-name")).to_contain_text(["Amplang Ikan Tenggiri"])
    assert_fits_the_phone(phone)


def test_adding_to_the_cart_keeps_the_visitor_where_they_were(phone):
    phone.goto("/")
    search_from_header(phone, "amplang")
    results = phone.url
    open_card(phone, "Amplang Ikan Tenggiri")
    product = phone.url
    phone.get_by_role("button", name="Masukkan keranjang").click()
    status = phone.locator("[data-cart-status]")
    expect(status).to_have_text("Produk dimasukkan ke keranjang. Lihat keranjang")
    expect(phone.locator(".cart-link")).to_have_text("Keranjang (1)")
    assert phone.url == product
    # One Back returns to the results: adding did not load the page again.
    phone.go_back()
    expect(phone).to_have_url(results)
    phone.go_forward()
    status = phone.locator("[data-cart-status]")
    phone.get_by_role("button", name="Masukkan keranjang").click()
    expect(status.get_by_role("link", name="Lihat keranjang")).to_be_visible()
    status.get_by_role("link", name="Lihat keranjang").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Keranjang")
    expect(phone.locator("main")).to_contain_text("Amplang Ikan Tenggiri")


def test_visitor_browses_a_region_and_a_category_cheapest_first(phone):
    phone.goto("/")
    phone.locator("section").filter(has_text="Menurut daerah").get_by_role(
        "link", name=re.compile("^Nunukan")
    ).click()
    expect(phone).to_have_url(re.compile(r"/produk\?region=nunukan$"))
    expect(phone.locator(".card")).to_have_count(7)

    filter_products(phone, Kategori="Beras & Bumbu", Urutkan="Harga terendah")
    expect(phone).to_have_url(re.compile(r"region=nunukan&category=beras-bumbu&.*sort=price_asc"))
    expect(phone.locator(".card-meta")).to_have_count(4)
    for meta in phone.locator(".card-meta").all_inner_texts():
        assert meta.endswith("Nunukan")
    prices = rupiah_values(phone)
    assert prices == sorted(prices)

    filter_products(phone, Urutkan="Harga tertinggi")
    assert rupiah_values(phone) == sorted(prices, reverse=True)
    assert_fits_the_phone(phone)


def test_language_switch_turns_the_pages_english_and_back(phone):
    phone.goto("/produk/amplang-ikan-tenggiri")
    expect(phone.locator(".details h2")).to_have_text("Tentang produk")

    switch_language(phone, "English")
    # Back on the same page, now in English, and it stays English on the next page.
    expect(phone).to_have_url(re.compile(r"/produk/amplang-ikan-tenggiri$"))
    expect(phone.locator(".details h2")).to_have_text("About the product")
    expect(phone.locator(".facts")).to_contain_text("P-IRT licence")
    phone.get_by_role("navigation").get_by_role("link", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_fits_the_phone(phone)

    switch_language(phone, "Bahasa Indonesia")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Masuk")
    phone.goto("/")
    expect(phone.get_by_role("contentinfo")).to_contain_text("Bahasa:")
