"""Reviewing in Chromium: a buyer whose parcel arrived rates the product through the
order's private link, and sees the review on the product page, which anonymous visitors
get from the page cache (the review moves the catalogue version, in every worker)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.db import db
from tests import factories
from tests.cleanup import committing_session, purge_orders_of

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "ulasan-e2e@contoh.id"


@pytest.fixture
def real_session(app):
    with committing_session(lambda: purge_orders_of(BUYER_EMAIL)) as session:
        yield session


def test_a_buyer_reviews_a_delivered_product_and_sees_it_on_its_page(
    real_session, live_server, open_phone
):
    product = db.session.scalars(
        select(Product)
        .where(Product.status == "published", Product.stock > 2, ~Product.is_made_to_order)
        .order_by(Product.id)
    ).first()
    order = factories.make_delivered_order((product, 1), email=BUYER_EMAIL, name="Rina Pembeli")
    db.session.commit()
    token, slug, name = order.access_token, product.slug, product.name
    db.session.rollback()

    visitor = open_phone("visitor")
    visitor.goto(f"{live_server}/produk/{slug}")  # the page is now in the cache
    expect(visitor.get_by_text("Seperti dibuat kemarin")).to_have_count(0)

    buyer = open_phone("buyer")
    buyer.goto(f"{live_server}/pesanan/{token}")
    expect(buyer.locator(".order-status").first).to_have_text("Dibayar")
    buyer.get_by_role("link", name="Beri ulasan").click()
    expect(buyer.get_by_role("heading", name=f"Ulas {name}")).to_be_visible()
    # only spaces: the browser lets it through, the server refuses it and keeps the stars
    buyer.get_by_label("4 dari 5").check()
    buyer.get_by_label("Ulasan", exact=True).fill("   ")
    buyer.get_by_role("button", name="Kirim ulasan").click()
    expect(buyer.get_by_text("Tulis ulasan Anda.")).to_be_visible()
    expect(buyer.get_by_label("4 dari 5")).to_be_checked()
    buyer.get_by_label("Ulasan", exact=True).fill("Seperti dibuat kemarin, renyah sampai Jakarta.")
    buyer.get_by_role("button", name="Kirim ulasan").click()
    expect(buyer.get_by_text("Terima kasih, ulasan Anda sudah tampil.")).to_be_visible()
    expect(buyer.get_by_text("Ulasan Anda: 4 dari 5 bintang")).to_be_visible()

    visitor.goto(f"{live_server}/produk/{slug}")
    expect(visitor.get_by_text("Seperti dibuat kemarin, renyah sampai Jakarta.")).to_be_visible()
    expect(visitor.get_by_text("Pembelian terverifikasi")).to_be_visible()
    expect(visitor.locator(".summary .rating")).to_contain_text("★")
