"""Households selling through their own circles, in Chromium against gunicorn.

A household shares a product through the link its page offers without script (WhatsApp's
``wa.me/?text=…``: the journey reads the link the message would carry, as the friend who
taps it would open it), a visitor arrives through it and buys, and the household sees the
visit and the sale counted from its share. A household closes its shop for a holiday and a
buyer sees it closed.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Seller
from marketplace.db import db, today_local
from marketplace.demo_data import DEMO_PASSWORD
from marketplace.inventory.models import ShopClosure
from marketplace.pagecache import bump_catalog_version
from marketplace.sellers.models import ShareSale, ShareVisit
from tests.cleanup import committing_session, purge_orders_of

pytestmark = pytest.mark.e2e

HOUSEHOLD = "penjual@demo.id"
BUYER_EMAIL = "lingkaran-e2e@contoh.id"


def _household_id() -> int:
    return db.session.scalar(select(Seller.id).join(Seller.user).where(User.email == HOUSEHOLD))


def _forget_circles() -> None:
    """What the journeys left: the household's share counts, its closings, the orders."""
    seller_id = _household_id()
    db.session.execute(delete(ShareSale).where(ShareSale.seller_id == seller_id))
    db.session.execute(delete(ShareVisit).where(ShareVisit.seller_id == seller_id))
    db.session.execute(delete(ShopClosure).where(ShopClosure.seller_id == seller_id))
    bump_catalog_version(db.session)
    db.session.commit()
    purge_orders_of(BUYER_EMAIL)


@pytest.fixture
def real_session(app):
    with committing_session(_forget_circles) as session:
        _forget_circles()
        yield session


def _product_of_household() -> tuple[str, str]:
    product = db.session.scalars(
        select(Product)
        .join(Product.seller)
        .join(Seller.user)
        .where(
            User.email == HOUSEHOLD,
            Product.status == "published",
            Product.stock > 2,
            ~Product.is_made_to_order,
        )
        .order_by(Product.id)
    ).first()
    found = (product.slug, product.name)
    db.session.rollback()
    return found


def _sign_in_household(page, base: str) -> None:
    page.goto(f"{base}/akun/masuk")
    page.get_by_label("E-mail atau nomor HP").fill(HOUSEHOLD)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def test_a_share_brings_a_visitor_who_buys_and_the_household_sees_it(
    real_session, live_server, open_phone
):
    slug, name = _product_of_household()
    base = live_server

    # The household's phone without script: the fallback links are what it has.
    household = open_phone("household", java_script_enabled=False)
    _sign_in_household(household, base)
    household.goto(f"{base}/produk/{slug}")
    expect(household.get_by_role("button", name="Bagikan ke teman…")).to_be_hidden()
    whatsapp = household.get_by_role("link", name="WhatsApp").get_attribute("href")
    assert whatsapp.startswith("https://wa.me/?text=")
    message = parse_qs(urlsplit(whatsapp).query)["text"][0]
    assert message.startswith(name)
    shared = message.rsplit(" ", 1)[1]
    assert "?ref=" in shared
    expect(household.get_by_label("Salin tautan")).to_have_value(shared)

    # A friend taps the link in the chat (the site's own address, here the test server's).
    link = urlsplit(shared)
    visitor = open_phone("visitor")
    visitor.goto(f"{base}{link.path}?{link.query}")
    expect(visitor).to_have_url(f"{base}/produk/{slug}")
    visitor.reload()  # the same visit, not a second one
    visitor.get_by_role("button", name="Masukkan keranjang").click()
    expect(visitor.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
    visitor.get_by_role("link", name="Lihat keranjang").click()
    visitor.get_by_role("link", name="Lanjut ke pembayaran").click()
    visitor.get_by_label("Nama penerima").fill("Rina Teman")
    visitor.get_by_label("E-mail").fill(BUYER_EMAIL)
    visitor.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    visitor.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Tarakan")
    visitor.get_by_label("Kecamatan").select_option(label="Tarakan Barat")
    visitor.get_by_label("Alamat", exact=True).fill("Jl. Yos Sudarso No. 5")
    visitor.get_by_label("Kode pos").fill("77111")
    # the live shipping for the city has arrived: the summary confirmed is the one charged
    expect(visitor.locator("[data-estimate]")).to_be_hidden()
    visitor.get_by_role("button", name="Buat pesanan dan bayar").click()
    visitor.get_by_role("button", name="Bayar (uji)").click()
    expect(visitor.locator(".order-status").first).to_have_text("Dibayar")

    household.goto(f"{base}/penjual")
    counts = household.locator(".share-counts")
    expect(counts.locator("[data-share-visits]")).to_have_text("1 kunjungan")
    expect(counts.locator("[data-share-sales]")).to_have_text("1 penjualan")


def test_a_household_closes_for_a_holiday_and_a_buyer_sees_it(
    real_session, live_server, open_phone
):
    slug, _name = _product_of_household()
    base = live_server
    today = today_local()
    last_day = today + dt.timedelta(days=3)

    buyer = open_phone("buyer")
    buyer.goto(f"{base}/produk/{slug}")  # seen open (and cached) before the closing
    expect(buyer.get_by_role("button", name="Masukkan keranjang")).to_be_visible()

    household = open_phone("household")
    _sign_in_household(household, base)
    household.get_by_role("link", name="Toko saya").click()
    household.get_by_role("link", name="Libur toko").click()
    household.get_by_label("Libur mulai tanggal").fill(today.isoformat())
    household.get_by_label("Libur sampai tanggal").fill(last_day.isoformat())
    household.get_by_label("Pesan untuk pembeli (boleh kosong)").fill("Ke pesta di kampung")
    household.get_by_role("button", name="Lanjut").click()
    expect(household.get_by_role("heading", name="Pesanan yang belum dikirim")).to_be_visible()
    household.get_by_role("button", name="Ya, tutup toko").click()
    expect(household.locator("[data-closure]")).to_contain_text("Ke pesta di kampung")

    buyer.reload()
    notice = buyer.locator("[data-closure]")
    expect(notice).to_contain_text("Toko libur sampai")
    expect(notice).to_contain_text("Ke pesta di kampung")
    expect(buyer.get_by_role("button", name="Masukkan keranjang")).to_have_count(0)
