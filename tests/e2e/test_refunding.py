"""Refunding in Chromium: an admin gives back a whole paid order from two households on the
admin page; the buyer's order page then says plainly that it was refunded in full."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.rupiah import format_rupiah
from tests import factories
from tests.cleanup import committing_session, purge_orders_of
from tests.e2e.helpers import sign_in_as

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "refund-e2e@contoh.id"


@pytest.fixture
def real_session(app):
    with committing_session(lambda: purge_orders_of(BUYER_EMAIL)) as session:
        yield session


def two_households_products() -> list[Product]:
    products = db.session.scalars(
        select(Product)
        .where(Product.status == "published", Product.stock > 2, ~Product.is_made_to_order)
        .order_by(Product.id)
    )
    chosen: dict[int, Product] = {}
    for product in products:
        chosen.setdefault(product.seller_id, product)
        if len(chosen) == 2:
            break
    return list(chosen.values())


def test_an_admin_refunds_a_whole_order_and_the_buyer_sees_it_refunded(
    real_session, accounts, open_phone
):
    first, second = two_households_products()
    stock = {first.id: first.stock, second.id: second.stock}
    order = factories.make_paid_order((first, 1), (second, 1), email=BUYER_EMAIL, name="Rina")
    db.session.commit()
    token, order_id, total = order.access_token, order.id, order.total_amount
    admin = accounts.create(Role.ADMIN, name="Admin Pasar")

    buyer = open_phone("buyer")  # the journey's screenshot is the buyer's last page
    buyer.goto(f"/pesanan/{token}")
    expect(buyer.locator(".order-status").first).to_have_text("Dibayar")

    staff = open_phone("admin")
    sign_in_as(staff, admin)
    staff.goto(f"/admin/pesanan/{order_id}")
    staff.get_by_label("Alasan (boleh kosong)").fill("Stok rusak kena banjir")
    staff.get_by_role("button", name="Kembalikan seluruh pesanan").click()
    expect(staff.get_by_text(f"Dana {format_rupiah(total)} dikembalikan.")).to_be_visible()

    buyer.reload()
    expect(buyer.locator(".order-status").first).to_have_text(
        "Dibatalkan, dana dikembalikan seluruhnya"
    )
    expect(buyer.get_by_role("status")).to_contain_text(
        f"Seluruh pesanan ini dibatalkan atau dikembalikan: {format_rupiah(total)}"
    )
    expect(buyer.get_by_role("button", name="Batalkan bagian ini")).to_have_count(0)
    expect(buyer.get_by_text("Stok rusak kena banjir").first).to_be_visible()
    db.session.rollback()
    assert {p.id: p.stock for p in map(db.session.get, [Product] * 2, stock)} == stock
