"""Buying in Chromium, against the app under gunicorn with two workers.

A visitor buys from two households and pays in "Mode uji"; one household accepts
and ships its part from its inbox; the buyer sees it shipped. Two workers also
show that test payments need no state kept in a process.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Seller
from marketplace.db import db
from marketplace.demo_data import DEMO_PASSWORD
from tests.cleanup import committing_session, purge_orders_of

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "perjalanan-e2e@contoh.id"


@pytest.fixture
def real_session(app):
    with committing_session(_purge_orders) as session:
        yield session


def _purge_orders() -> None:
    purge_orders_of(BUYER_EMAIL)


def _in_stock_product(seller_email: str | None = None, other_than: int | None = None) -> Product:
    stmt = (
        select(Product)
        .join(Product.seller)
        .join(Seller.user)
        .where(Product.status == "published", Product.stock > 2, ~Product.is_made_to_order)
        .order_by(Product.id)
    )
    if seller_email:
        stmt = stmt.where(User.email == seller_email)
    if other_than:
        stmt = stmt.where(Product.seller_id != other_than)
    return db.session.scalars(stmt).first()


def test_buy_from_two_households_pay_and_see_one_part_shipped(
    real_session, live_server, open_phone
):

    siti = _in_stock_product("penjual@demo.id")
    other = _in_stock_product(other_than=siti.seller_id)
    siti_slug, other_slug = siti.slug, other.slug
    stock_before = siti.stock
    db.session.rollback()

    base = live_server
    buyer = open_phone("buyer")
    for slug in (siti_slug, other_slug):
        buyer.goto(f"{base}/produk/{slug}")
        buyer.get_by_role("button", name="Masukkan keranjang").click()
        expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
    buyer.get_by_role("link", name="Lihat keranjang").click()
    expect(buyer.locator(".cart-group")).to_have_count(2)
    buyer.get_by_role("link", name="Lanjut ke pembayaran").click()

    buyer.get_by_label("Nama penerima").fill("Rina Pembeli")
    buyer.get_by_label("E-mail").fill(BUYER_EMAIL)
    buyer.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Tarakan")
    buyer.get_by_label("Kecamatan").select_option(label="Tarakan Barat")
    buyer.get_by_label("Alamat", exact=True).fill("Jl. Yos Sudarso No. 5")
    buyer.get_by_label("Kode pos").fill("77111")
    # the live shipping for the city has arrived: the summary confirmed is the one charged
    expect(buyer.locator("[data-estimate]")).to_be_hidden()
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()

    expect(buyer.get_by_role("heading", name="Mode uji")).to_be_visible()
    buyer.get_by_role("button", name="Bayar (uji)").click()
    expect(buyer.locator(".order-status").first).to_have_text("Dibayar")
    order_url = buyer.url

    household = open_phone("household")
    household.goto(f"{base}/akun/masuk")
    household.get_by_label("E-mail atau nomor HP").fill("penjual@demo.id")
    household.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    household.get_by_role("button", name="Masuk").click()
    household.get_by_role("link", name="Pesanan masuk").click()
    expect(household.locator(".plain-list li")).to_have_count(1)
    household.locator(".plain-list a").first.click()
    household.get_by_role("button", name="Terima pesanan").click()
    household.get_by_label("Kurir").fill("J&T")
    household.get_by_label("Nomor resi").fill("JT0012345678")
    household.get_by_role("button", name="Tandai sudah dikirim").click()
    expect(household.locator(".order-status")).to_have_text("Dikirim")

    buyer.goto(order_url)
    expect(buyer.get_by_text("Kurir J&T, nomor resi JT0012345678")).to_be_visible()
    # one household has shipped, the other has not moved yet
    expect(buyer.locator("p.status-shipped")).to_have_text("Dikirim")
    expect(buyer.locator("p.status-new")).to_have_text("Pesanan baru, menunggu penjual")

    assert db.session.get(Product, siti.id).stock == stock_before - 1
