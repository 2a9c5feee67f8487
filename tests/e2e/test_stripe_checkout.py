"""Paying on Stripe Checkout in Chromium: the app under gunicorn on the Stripe test server.

The checkout form's redirects end on the Checkout page of another origin, which the
site's Content-Security-Policy (``form-action``) must allow: only a real browser checks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from marketplace.db import db
from tests.cleanup import committing_session, purge_orders_of
from tests.conftest import served_env
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.e2e.test_buying import _in_stock_product
from tests.servers import gunicorn
from tests.stripe_server import WEBHOOK_SECRET

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "stripe-e2e@contoh.id"


@pytest.fixture
def stripe_site(app, stripe_server, tmp_path) -> Iterator[str]:
    """The app on Stripe (the test server), whose webhooks reach it over HTTP."""
    env = served_env(
        app,
        tmp_path,
        STRIPE_SECRET_KEY=stripe_server.secret_key,
        STRIPE_API_BASE=stripe_server.url,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    with gunicorn(env, workers=2, threads=4) as base:
        stripe_server.add_webhook_endpoint(f"{base}/stripe/webhook")
        yield base


@pytest.fixture
def real_session(app):
    with committing_session(lambda: purge_orders_of(BUYER_EMAIL)) as session:
        yield session


def test_pay_on_stripe_checkout_and_come_back_paid(
    real_session, stripe_site, stripe_server, browser
):
    product = _in_stock_product()
    slug, stock_before = product.slug, product.stock
    db.session.rollback()

    context = browser.new_context(
        base_url=stripe_site, viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID"
    )
    refused = []
    context.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else 0)
    buyer = context.new_page()
    try:
        buyer.goto(f"/produk/{slug}")
        buyer.get_by_role("button", name="Masukkan keranjang").click()
        expect(buyer.get_by_text("Produk dimasukkan ke keranjang.")).to_be_visible()
        buyer.goto("/checkout")
        buyer.get_by_label("Nama penerima").fill("Rina Stripe")
        buyer.get_by_label("E-mail").fill(BUYER_EMAIL)
        buyer.get_by_label("Nomor WhatsApp").fill("0812 3456 7890")
        buyer.get_by_label("Kabupaten/kota", exact=True).select_option(label="Kota Tarakan")
        buyer.get_by_label("Kecamatan").select_option(label="Tarakan Barat")
        buyer.get_by_label("Alamat", exact=True).fill("Jl. Yos Sudarso No. 5")
        buyer.get_by_label("Kode pos").fill("77111")
        # the live shipping for the city has arrived: the summary confirmed is the one charged
        expect(buyer.locator("[data-estimate]")).to_be_hidden()
        buyer.get_by_role("button", name="Buat pesanan dan bayar").click()

        # On Stripe's page (the test server's), in rupiah hundredths.
        expect(buyer.get_by_role("heading", name="Stripe Checkout (server uji)")).to_be_visible()
        assert buyer.url.startswith(f"{stripe_server.url}/_test/checkout/cs_test_")
        buyer.get_by_role("button", name="Pay").click()

        # Back on the order: paid (the webhook came first, the success page agreed).
        expect(buyer.locator(".order-status").first).to_have_text("Dibayar")
        assert buyer.url.startswith(f"{stripe_site}/pesanan/")
        assert refused == []
        [completed] = stripe_server.events("checkout.session.completed")
        assert completed["data"]["object"]["payment_status"] == "paid"
        product = real_session.get(type(product), product.id)
        assert product.stock == stock_before - 1
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        buyer.screenshot(path=ARTIFACTS / "pay_on_stripe_checkout.png", full_page=True)
        context.close()
