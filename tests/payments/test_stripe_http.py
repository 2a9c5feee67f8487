"""The Stripe gateway over real HTTP, with the real ``stripe`` library, against the test server.

tests/stripe_server plays Stripe: it opens the Checkout Sessions, lets the buyer pay on
its hosted page, signs the webhooks and makes the refunds; the app (driven by Flask's
test client) redirects to Checkout, verifies and handles the events.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import select

from marketplace.db import db, now_utc
from marketplace.money.models import Payment, PaymentStatus, Refund, RefundStatus
from marketplace.money.payment_units import issue_refunds
from marketplace.money.payments import refunds_of
from marketplace.orders import checkout, lifecycle
from marketplace.orders.models import Order, OrderEvent, OrderStatus
from marketplace.payments.stripe_gateway import StripeGateway
from tests import factories
from tests.stripe_server import WEBHOOK_SECRET, sign


@pytest.fixture
def gateway(app, stripe_server, payment_gateway):
    """The app on Stripe (the test server), as with STRIPE_SECRET_KEY and STRIPE_API_BASE."""
    stripe_gateway = StripeGateway(
        secret_key=stripe_server.secret_key,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe_server.url,
    )
    app.extensions["payment_gateway"] = stripe_gateway
    yield stripe_gateway


@pytest.fixture
def webhooks(stripe_server):
    """Stripe's deliveries, kept for the test to pass to the app's test client."""
    return stripe_server.add_webhook_endpoint()


@pytest.fixture
def stripe_api(stripe_server):
    return stripe_server.client()


def deliver(client, webhooks, event_type):
    """Pass Stripe's one waiting delivery of ``event_type`` to the app, byte for byte."""
    [(body, headers)] = webhooks.take(event_type)
    response = client.post("/stripe/webhook", data=body, headers=headers)
    return response, body, headers


def start_checkout(client, order):
    """The buyer opens the payment page and is sent on to Stripe Checkout."""
    response = client.get(f"/pesanan/{order.access_token}/bayar")
    assert response.status_code == 303
    payment = db.session.scalars(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc())
    ).first()
    return response.headers["Location"], payment


def order_status(order) -> str:
    db.session.expire_all()
    return db.session.get(Order, order.id).status


def payment_status(payment) -> str:
    db.session.expire_all()
    return db.session.get(Payment, payment.id).status


def two_household_order():
    amplang = factories.make_product(price=150000, stock=5, name="Amplang kepiting")
    tas = factories.make_product(price=85000, stock=5, name="Tas rotan")
    order = factories.make_order((amplang, 2), (tas, 1))
    db.session.commit()
    return order


def test_the_buyer_pays_on_a_checkout_session_in_idr(client, gateway, stripe_server, stripe_api):
    order = two_household_order()
    url, payment = start_checkout(client, order)
    assert payment.gateway == "stripe" and payment.intent_id.startswith("cs_test_")
    assert url == f"{stripe_server.url}/_test/checkout/{payment.intent_id}"
    assert payment.idempotency_key == f"order-{order.id}-attempt-1"

    session = stripe_api.v1.checkout.sessions.retrieve(payment.intent_id)
    assert (session.mode, session.currency, session.status) == ("payment", "idr", "open")
    # Stripe counts IDR in hundredths.
    assert session.amount_total == order.total_amount * 100
    assert session.metadata["order_id"] == str(order.id)
    assert session.client_reference_id == str(order.id)
    assert session.customer_email == order.contact_email
    token = order.access_token
    assert session.success_url.endswith(
        f"/pesanan/{token}/bayar/selesai?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert session.cancel_url.endswith(f"/pesanan/{token}")
    lines = stripe_api.v1.checkout.sessions.line_items.list(session.id).data
    described = [(line.description, line.quantity, line.price.unit_amount) for line in lines]
    name, quantity, unit_amount = described[0]
    assert name.startswith("Amplang kepiting") and name.endswith(order.parts[0].shop_name)
    assert (quantity, unit_amount) == (2, 150000 * 100)
    shipping = [d for d in described if d[0].startswith("Ongkos kirim")]
    assert len(shipping) == len([p for p in order.parts if p.shipping_amount])
    assert sum(quantity * unit for _, quantity, unit in described) == order.total_amount * 100

    # The page again, or a second tab: the same session.
    again, _ = start_checkout(client, order)
    assert again == url
    assert db.session.query(Payment).filter_by(order_id=order.id).count() == 1
    assert len(stripe_api.v1.checkout.sessions.list().data) == 1


def test_a_verified_webhook_marks_the_order_paid_once(client, gateway, stripe_server, webhooks):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)

    response, body, headers = deliver(client, webhooks, "checkout.session.completed")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    assert order_status(order) == OrderStatus.PAID.value
    assert payment_status(payment) == PaymentStatus.SUCCEEDED.value

    # Stripe delivers at least once: the same event again changes nothing.
    again = client.post("/stripe/webhook", data=body, headers=headers)
    assert (again.status_code, again.get_data(as_text=True)) == (200, "duplicate")
    # The PaymentIntent's own event names no payment of ours: taken, nothing changes.
    response, _, _ = deliver(client, webhooks, "payment_intent.succeeded")
    assert response.status_code == 200
    paid_moves = db.session.scalars(
        select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.to_status == OrderStatus.PAID.value
        )
    ).all()
    assert len(paid_moves) == 1


def test_bad_webhooks_change_nothing(client, gateway, stripe_server, webhooks):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)
    [(body, headers)] = webhooks.take("checkout.session.completed")

    def post(data, signature):
        response = client.post(
            "/stripe/webhook", data=data, headers={"Stripe-Signature": signature}
        )
        return response.status_code, response.get_data(as_text=True)

    assert post(body, sign(body, "whsec_someone_else")) == (400, "bad signature")
    stale = sign(body, WEBHOOK_SECRET, timestamp=int(time.time()) - 600)
    assert post(body, stale) == (400, "bad signature")
    assert post(body.replace(b'"paid"', b'"PAID"'), headers["Stripe-Signature"])[0] == 400
    assert post(body, "")[0] == 400
    assert post(b"not json", sign(b"not json", WEBHOOK_SECRET))[0] == 400
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value

    # A type we do not handle: 200, ignored. A session naming an order we do not know:
    # refused (400), as every event whose body is not to be trusted (test_untrusted_events).
    unknown_type = json.loads(body)
    unknown_type.update(id="evt_other", type="customer.created")
    raw = json.dumps(unknown_type).encode()
    assert post(raw, sign(raw, WEBHOOK_SECRET)) == (200, "ignored")
    stranger = stripe_server.client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "idr",
                        "unit_amount": 1000000,
                        "product_data": {"name": "Elsewhere"},
                    },
                }
            ],
            "metadata": {"order_id": "999999"},
            "success_url": "http://elsewhere.test/",
        }
    )
    stripe_server.pay(stranger.id)
    [(other, other_headers)] = webhooks.take("checkout.session.completed")
    assert post(other, other_headers["Stripe-Signature"]) == (400, "bad event")
    # A session that is not at Stripe at all.
    ghost = json.loads(body)
    ghost["id"] = "evt_ghost"
    ghost["data"]["object"]["id"] = "cs_test_ghost"
    raw = json.dumps(ghost).encode()
    assert post(raw, sign(raw, WEBHOOK_SECRET)) == (200, "ignored")
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value

    # The genuine event still goes through afterwards.
    assert post(body, headers["Stripe-Signature"]) == (200, "ok")
    assert order_status(order) == OrderStatus.PAID.value


def test_the_success_page_arriving_first_asks_stripe(client, gateway, stripe_server, webhooks):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)
    # The buyer's browser is back before the webhook.
    response = client.get(
        f"/pesanan/{order.access_token}/bayar/selesai?session_id={payment.intent_id}"
    )
    assert response.status_code == 303
    assert order_status(order) == OrderStatus.PAID.value
    # The webhook then changes nothing more.
    response, _, _ = deliver(client, webhooks, "checkout.session.completed")
    assert response.status_code == 200
    assert payment_status(payment) == PaymentStatus.SUCCEEDED.value
    moves = db.session.scalars(
        select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.to_status == OrderStatus.PAID.value
        )
    ).all()
    assert len(moves) == 1
    # Someone else's session id on my success page: 404.
    other = two_household_order()
    _, theirs = start_checkout(client, other)
    url = f"/pesanan/{order.access_token}/bayar/selesai?session_id={theirs.intent_id}"
    assert client.get(url).status_code == 404


def test_an_expired_session_gives_way_to_a_new_one(
    client, gateway, stripe_server, stripe_api, webhooks
):
    order = two_household_order()
    first_url, first = start_checkout(client, order)
    stripe_api.v1.checkout.sessions.expire(first.intent_id)
    response, _, _ = deliver(client, webhooks, "checkout.session.expired")
    assert response.status_code == 200
    assert payment_status(first) == PaymentStatus.FAILED.value
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value

    second_url, second = start_checkout(client, order)
    assert second.id != first.id and second_url != first_url
    assert second.idempotency_key == f"order-{order.id}-attempt-2"
    stripe_server.pay(second.intent_id)
    deliver(client, webhooks, "checkout.session.completed")
    assert order_status(order) == OrderStatus.PAID.value


def test_a_session_expired_without_its_webhook_is_replaced_on_the_next_visit(
    client, gateway, stripe_server, stripe_api
):
    order = two_household_order()
    _, first = start_checkout(client, order)
    stripe_api.v1.checkout.sessions.expire(first.intent_id)  # no webhook endpoint at all
    url, second = start_checkout(client, order)
    assert payment_status(first) == PaymentStatus.FAILED.value
    assert url.endswith(second.intent_id) and second.intent_id != first.intent_id


def test_a_delayed_payment_settles_later(client, gateway, stripe_server, webhooks):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id, delayed=True)
    deliver(client, webhooks, "checkout.session.completed")
    # Complete but not paid yet: nothing moves.
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value
    assert payment_status(payment) == PaymentStatus.PENDING.value
    # Meanwhile the payment page does not send the buyer to pay again.
    response = client.get(f"/pesanan/{order.access_token}/bayar")
    assert response.headers["Location"].endswith(f"/pesanan/{order.access_token}")

    stripe_server.settle(payment.intent_id)
    response, _, _ = deliver(client, webhooks, "checkout.session.async_payment_succeeded")
    assert response.get_data(as_text=True) == "ok"
    assert order_status(order) == OrderStatus.PAID.value


def test_a_delayed_payment_that_fails(client, gateway, stripe_server, webhooks):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id, delayed=True)
    stripe_server.settle(payment.intent_id, succeeded=False)
    deliver(client, webhooks, "checkout.session.completed")
    deliver(client, webhooks, "checkout.session.async_payment_failed")
    assert payment_status(payment) == PaymentStatus.FAILED.value
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value


def test_a_late_payment_without_stock_is_refunded_at_stripe(
    client, gateway, stripe_server, stripe_api, webhooks
):
    product = factories.make_product(price=250000, stock=1)
    late = factories.make_order((product, 1))
    db.session.commit()
    _, payment = start_checkout(client, late)
    lifecycle.expire_due_orders(now=now_utc() + checkout.PAYMENT_WINDOW + dt.timedelta(minutes=1))
    factories.make_order((product, 1))  # the unit goes to someone else
    db.session.commit()

    stripe_server.pay(payment.intent_id)
    response, _, _ = deliver(client, webhooks, "checkout.session.completed")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Order, late.id).status == OrderStatus.REFUNDED.value
    assert payment_status(payment) == PaymentStatus.REFUNDED.value
    [recorded] = refunds_of(late.id)
    refund = stripe_api.v1.refunds.retrieve(recorded.gateway_refund_id)
    session = stripe_api.v1.checkout.sessions.retrieve(payment.intent_id)
    assert refund.amount == late.total_amount * 100
    assert refund.payment_intent == session.payment_intent
    # Stripe's refund events confirm what is already recorded: nothing changes.
    response, _, _ = deliver(client, webhooks, "refund.created")
    assert response.get_data(as_text=True) == "ok"
    assert len(refunds_of(late.id)) == 1


def test_a_refund_whose_answer_was_lost_is_confirmed_by_its_event(
    client, gateway, stripe_server, stripe_api, webhooks
):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)
    deliver(client, webhooks, "checkout.session.completed")
    part = order.parts[0]
    lifecycle.cancel_part_for_buyer(order.id, part.id, actor_id=None)
    from marketplace.money.payments import refund_part

    refund = refund_part(part.id)
    db.session.commit()
    # Stripe made the refund, but its answer never reached us.
    lost = gateway.refund(
        payment.intent_id, amount=refund.amount, idempotency_key=refund.idempotency_key
    )
    assert db.session.get(Refund, refund.id).status == RefundStatus.PENDING.value
    # The retry sends the same key: Stripe answers with the same refund, not a second one.
    assert issue_refunds([refund.id], gateway) == 1
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).gateway_refund_id == lost
    intent_id = stripe_api.v1.checkout.sessions.retrieve(payment.intent_id).payment_intent
    at_stripe = stripe_api.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [r.id for r in at_stripe] == [lost]
    assert at_stripe[0].amount == refund.amount * 100


def test_the_refund_event_alone_confirms_a_pending_refund(client, gateway, stripe_server, webhooks):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)
    deliver(client, webhooks, "checkout.session.completed")
    part = order.parts[1]
    lifecycle.cancel_part_for_buyer(order.id, part.id, actor_id=None)
    from marketplace.money.payments import refund_part

    refund = refund_part(part.id)
    db.session.commit()
    made = gateway.refund(
        payment.intent_id, amount=refund.amount, idempotency_key=refund.idempotency_key
    )
    webhooks.take("charge.refunded")
    response, _, _ = deliver(client, webhooks, "refund.created")
    assert response.get_data(as_text=True) == "ok"
    db.session.expire_all()
    confirmed = db.session.get(Refund, refund.id)
    assert (confirmed.status, confirmed.gateway_refund_id) == (RefundStatus.SUCCEEDED.value, made)


def test_the_hosted_page_round_trip(client, gateway, stripe_server, webhooks):
    """The buyer's browser: our page → Stripe Checkout → pay → back on the success page."""
    import requests

    order = two_household_order()
    url, payment = start_checkout(client, order)
    page = requests.get(url, timeout=10)
    assert "Amplang kepiting" in page.text
    paid = requests.post(f"{url}/pay", data={"redirect": "1"}, allow_redirects=False, timeout=10)
    back = paid.headers["Location"]
    assert back.endswith(
        f"/pesanan/{order.access_token}/bayar/selesai?session_id={payment.intent_id}"
    )
    path = back[back.index("/pesanan/") :]
    assert client.get(path).status_code == 303
    assert order_status(order) == OrderStatus.PAID.value


def test_the_site_lets_checkout_forms_end_on_stripe(stripe_server):
    from marketplace import create_app

    app = create_app(
        {
            "TESTING": True,
            "STRIPE_SECRET_KEY": stripe_server.secret_key,
            "STRIPE_API_BASE": stripe_server.url,
        }
    )
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    assert f"form-action 'self' {stripe_server.url};" in policy
