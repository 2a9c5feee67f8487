"""The Stripe gateway over real HTTP, with the real ``stripe`` library, against localstripe.

localstripe creates the PaymentIntents, confirms the card as Stripe.js would, sends
signed webhooks and makes the refunds; the app verifies and handles them.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe

from marketplace.db import db, now_utc
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.services import refunds_of
from marketplace.payments.stripe_gateway import StripeGateway
from tests import factories
from tests.servers import localstripe

SECRET_KEY = "sk_test_local"
WEBHOOK_SECRET = "whsec_localtest"


@pytest.fixture(scope="module")
def stripe_api():
    with localstripe() as url:
        yield url


@pytest.fixture
def webhooks(stripe_api):
    """localstripe's webhook deliveries, caught on a loopback port: a queue of (body, headers)."""
    delivered: queue.Queue = queue.Queue()

    class Catch(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            delivered.put((body, dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"orders-{server.server_address[1]}"
    response = requests.post(
        f"{stripe_api}/_config/webhooks/{hook}",
        json={
            "url": f"http://127.0.0.1:{server.server_address[1]}/",
            "secret": WEBHOOK_SECRET,
            "events": ["payment_intent.succeeded"],
        },
        timeout=10,
    )
    assert response.status_code == 200
    yield delivered
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway(app, stripe_api, payment_gateway):
    stripe_gateway = StripeGateway(
        secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=stripe_api
    )
    app.extensions["payment_gateway"] = stripe_gateway
    settings = {
        "STRIPE_API_BASE": stripe_api,
        "STRIPE_JS_URL": f"{stripe_api}/js.stripe.com/v3/",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_local",
    }
    previous = {name: app.config[name] for name in settings}
    app.config.update(settings)
    yield stripe_gateway
    app.config.update(previous)


@pytest.fixture
def browser(stripe_api):
    """What Stripe.js does in the buyer's browser: confirm the card payment."""
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_api})

    def pay(intent_id: str):
        client.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
        return client.v1.payment_intents.confirm(intent_id)

    pay.client = client
    return pay


def gateway_origin(page) -> str:
    html = page.get_data(as_text=True)
    start = html.index('<script src="') + len('<script src="')
    return html[start : html.index("/js.stripe.com", start)]


def deliver(client, delivered, intent_id):
    """Pass localstripe's webhook for ``intent_id`` to the app, byte for byte."""
    while True:
        body, headers = delivered.get(timeout=30)
        if json.loads(body)["data"]["object"]["id"] == intent_id:
            break
    response = client.post(
        "/stripe/webhook",
        data=body,
        headers={
            "Stripe-Signature": headers["Stripe-Signature"],
            "Content-Type": "application/json",
        },
    )
    return response, body, headers


def test_pay_by_card_with_a_verified_webhook(client, gateway, webhooks, browser):
    product = factories.make_product(price=150000, stock=5)
    order = factories.make_order((product, 1))
    db.session.commit()

    page = client.get(f"/pesanan/{order.access_token}/bayar")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mode uji" not in html
    payment = db.session.query(Payment).filter_by(order_id=order.id).one()
    assert payment.gateway == "stripe" and payment.intent_id.startswith("pi_")
    assert (
        f'data-client-secret="{payment.client_secret}"' in html
        and 'data-key="pk_test_local"' in html
    )
    # Stripe.js may run on this page only, from where it is served
    assert f"script-src 'self' {gateway_origin(page)}" in page.headers["Content-Security-Policy"]
    assert "js.stripe" not in client.get("/").headers["Content-Security-Policy"]
    # the page again: the same intent
    client.get(f"/pesanan/{order.access_token}/bayar")
    assert db.session.query(Payment).filter_by(order_id=order.id).count() == 1

    confirmed = browser(payment.intent_id)
    assert confirmed.status == "succeeded"
    assert confirmed.currency == "idr" and confirmed.amount == order.total_amount * 100
    assert confirmed.metadata["order_id"] == str(order.id)

    response, body, headers = deliver(client, webhooks, payment.intent_id)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID.value
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED.value

    # Stripe delivers at least once: the same event again changes nothing.
    again = client.post(
        "/stripe/webhook", data=body, headers={"Stripe-Signature": headers["Stripe-Signature"]}
    )
    assert (again.status_code, again.get_data(as_text=True)) == (200, "duplicate")
    # A forged copy (signed with another secret) is refused.
    forged = stripe.WebhookSignature.generate_signature_header(body.decode(), "whsec_other")
    assert (
        client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": forged}).status_code
        == 400
    )


def test_the_return_page_asks_stripe_before_the_webhook(client, gateway, browser):
    order = factories.make_order((factories.make_product(price=35000), 2))
    db.session.commit()
    client.get(f"/pesanan/{order.access_token}/bayar")
    payment = db.session.query(Payment).filter_by(order_id=order.id).one()
    browser(payment.intent_id)
    response = client.get(
        f"/pesanan/{order.access_token}/bayar/selesai?payment_intent={payment.intent_id}"
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID.value


def test_a_late_payment_without_stock_is_refunded_at_stripe(client, gateway, webhooks, browser):
    product = factories.make_product(price=250000, stock=1)
    late = factories.make_order((product, 1))
    db.session.commit()
    client.get(f"/pesanan/{late.access_token}/bayar")
    payment = db.session.query(Payment).filter_by(order_id=late.id).one()
    orders.expire_due_orders(now=now_utc() + orders.PAYMENT_WINDOW + dt.timedelta(minutes=1))
    factories.make_order((product, 1))  # the unit goes to someone else
    db.session.commit()

    browser(payment.intent_id)
    response, _, _ = deliver(client, webhooks, payment.intent_id)
    assert response.status_code == 200
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert db.session.get(Order, late.id).status == OrderStatus.REFUNDED.value
    assert payment.status == PaymentStatus.REFUNDED.value
    [recorded] = refunds_of(late.id)
    refund = browser.client.v1.refunds.retrieve(recorded.gateway_refund_id)
    assert refund.amount == late.total_amount * 100 and refund.payment_intent == payment.intent_id
