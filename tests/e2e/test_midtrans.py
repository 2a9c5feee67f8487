"""Paying by QRIS and by virtual account in Chromium: the app under gunicorn with Midtrans
configured (tests/midtrans_server), whose notifications reach the app over HTTP.

Each journey ends with Midtrans' notification, not with the buyer's "check" button: the
buyer only reloads. The same notification again, and an older one after it, change nothing.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.orders.models import Order, OrderEvent, OrderStatus
from tests.cleanup import committing_session, purge_orders_of
from tests.conftest import served_env
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.e2e.test_buying import _in_stock_product
from tests.servers import gunicorn

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "midtrans-e2e@contoh.id"


@pytest.fixture
def midtrans_site(app, midtrans_server, tmp_path) -> Iterator[str]:
    env = served_env(
        app,
        tmp_path,
        MIDTRANS_SERVER_KEY=midtrans_server.server_key,
        MIDTRANS_API_BASE=midtrans_server.url,
    )
    with gunicorn(env, workers=2, threads=4) as base:
        midtrans_server.notification_url = f"{base}/midtrans/notifikasi"
        yield base
    midtrans_server.notification_url = ""


@pytest.fixture
def real_session(app):
    with committing_session(lambda: purge_orders_of(BUYER_EMAIL)) as session:
        yield session


def post_notification(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def order_and_moves(session, token: str) -> tuple[str, int]:
    session.expire_all()
    order = session.scalars(select(Order).where(Order.access_token == token)).one()
    moves = session.scalar(
        select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id)
    )
    return order.status, moves


def checkout_to_payment(buyer, slug: str, name: str) -> str:
    """The buyer buys one, places the order and lands on the payment page; its token."""
    buyer.goto(f"/produk/{slug}")
    buyer.get_by_role("button", name="Masukkan keranjang").click()
    expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
    buyer.goto("/checkout")
    buyer.get_by_label("Nama penerima").fill(name)
    buyer.get_by_label("E-mail").fill(BUYER_EMAIL)
    buyer.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
    buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Tarakan")
    buyer.get_by_label("Kecamatan").select_option(label="Tarakan Barat")
    buyer.get_by_label("Alamat", exact=True).fill("Jl. Yos Sudarso No. 5")
    buyer.get_by_label("Kode pos").fill("77111")
    # the live shipping for the city has arrived: the summary confirmed is the one charged
    expect(buyer.locator("[data-estimate]")).to_be_hidden()
    buyer.get_by_role("button", name="Buat pesanan dan bayar").click()
    expect(buyer.get_by_role("group", name="Pilih cara bayar")).to_be_visible()
    return buyer.url.split("/pesanan/")[1].split("/")[0]


@pytest.mark.parametrize("method", ["qris", "va"])
def test_pay_by_qris_or_virtual_account_finished_by_the_notification(
    real_session, midtrans_site, midtrans_server, browser, method
):
    product = _in_stock_product()
    slug, stock_before = product.slug, product.stock
    db.session.rollback()
    context = browser.new_context(
        base_url=midtrans_site, viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID"
    )
    buyer = context.new_page()
    try:
        token = checkout_to_payment(buyer, slug, "Rina Midtrans")
        if method == "qris":
            buyer.get_by_label("QRIS").check()
            buyer.get_by_role("button", name="Bayar", exact=True).click()
            expect(buyer.get_by_role("heading", name="Pindai QRIS")).to_be_visible()
            expect(buyer.locator(".qr svg")).to_be_visible()
        else:
            buyer.get_by_label("BCA Virtual Account").check()
            buyer.get_by_role("button", name="Bayar", exact=True).click()
            expect(
                buyer.get_by_role("heading", name="Transfer ke BCA Virtual Account")
            ).to_be_visible()
            number = buyer.locator(".va-number").inner_text()
            assert number.isdigit() and len(number) >= 10
        transaction = next(iter(midtrans_server.transactions.values()))
        assert transaction.order_id.endswith("-attempt-1")

        # The buyer pays in the bank's app; Midtrans notifies the app.
        delivered = midtrans_server.pay(transaction.transaction_id)
        assert delivered == {"delivered": True, "status": 200}
        buyer.reload()
        expect(buyer.locator(".order-status").first).to_have_text("Dibayar")
        status, moves = order_and_moves(real_session, token)
        assert status == OrderStatus.PAID.value

        # Again, then an older one: nothing changes the second time.
        assert midtrans_server.notify(transaction.transaction_id)["status"] == 200
        older = midtrans_server.notification(transaction, "pending")
        assert post_notification(midtrans_server.notification_url, older) == 200
        assert order_and_moves(real_session, token) == (status, moves)
        product = real_session.get(type(product), product.id)
        assert product.stock == stock_before - 1
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        buyer.screenshot(path=ARTIFACTS / f"pay_by_midtrans_{method}.png", full_page=True)
        context.close()
