"""Payments through the local test gateway: the same code paths as Stripe, no network."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import stripe
from sqlalchemy import func, select

from marketplace.db import db, now_utc
from marketplace.money import payments as services
from marketplace.money.models import Payment, PaymentStatus
from marketplace.orders import checkout, lifecycle
from marketplace.orders.models import Order, OrderStatus, PartStatus
from marketplace.payments.gateway import Intent, get_gateway
from marketplace.payments.models import WebhookEvent
from marketplace.payments.stripe_gateway import (
    from_stripe_amount,
    session_expiry,
    to_stripe_amount,
)
from tests import factories


@pytest.fixture
def gateway(payment_gateway):
    return payment_gateway


def open_order(*lines):
    order = factories.make_order(*lines)
    payment = services.open_payment(order.id, get_gateway())
    db.session.commit()
    return order, payment


def signed(gateway, event_type, intent_id):
    return gateway.signed_event(event_type, gateway.retrieve_intent(intent_id))


def pay(gateway, payment):
    return gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=payment.order_id, succeed=True
    )


def post_event(client, gateway, event_type, intent_id):
    body, signature = signed(gateway, event_type, intent_id)
    return client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def stock_of(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).stock


def test_rupiah_cross_to_stripe_in_hundredths():
    assert to_stripe_amount(150000) == 15000000
    assert from_stripe_amount(15000000) == 150000
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError):
            to_stripe_amount(bad)


def test_a_checkout_session_lives_35_to_45_minutes_and_one_step_sends_one_expiry():
    start = 1_795_929_000  # on a 10-minute step
    for offset in range(0, 600, 7):
        expiry = session_expiry(start + offset)
        # Stripe refuses less than 30 minutes; the order itself waits 30.
        assert 35 * 60 <= expiry - (start + offset) <= 45 * 60
        # A retry with the same idempotency key within the step sends the same parameters.
        assert expiry == session_expiry(start)


def test_the_test_mode_button_pays_through_the_webhook_path(client):
    product = factories.make_product(stock=3)
    order = factories.make_order((product, 1))
    db.session.commit()
    page = client.get(f"/pesanan/{order.access_token}/bayar").get_data(as_text=True)
    assert "Mode uji" in page and "Bayar (uji)" in page
    response = client.post(f"/pesanan/{order.access_token}/bayar/uji", data={"outcome": "pay"})
    assert response.status_code == 303
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.PAID.value and order.paid_at is not None
    assert [part.status for part in order.parts] == [PartStatus.NEW.value]
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert "Dibayar" in client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)


def test_a_declined_test_payment_leaves_the_order_open_for_another_try(client):
    order = factories.make_order((factories.make_product(), 1))
    db.session.commit()
    client.get(f"/pesanan/{order.access_token}/bayar")
    response = client.post(f"/pesanan/{order.access_token}/bayar/uji", data={"outcome": "decline"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value
    client.get(f"/pesanan/{order.access_token}/bayar")
    keys = db.session.scalars(
        select(Payment.idempotency_key).where(Payment.order_id == order.id).order_by(Payment.id)
    ).all()
    assert keys == [f"order-{order.id}-attempt-1", f"order-{order.id}-attempt-2"]


def test_reloading_the_payment_page_reuses_the_intent(client):
    order = factories.make_order((factories.make_product(), 1))
    db.session.commit()
    for _ in range(3):
        assert client.get(f"/pesanan/{order.access_token}/bayar").status_code == 200
    assert len(services.payments_of(order.id)) == 1


def test_the_same_webhook_twice_changes_nothing_the_second_time(client, gateway):
    product = factories.make_product(stock=3)
    order, payment = open_order((product, 1))
    pay(gateway, payment)
    body, signature = signed(gateway, "payment_intent.succeeded", payment.intent_id)
    headers = {"Stripe-Signature": signature}
    first = client.post("/stripe/webhook", data=body, headers=headers)
    second = client.post("/stripe/webhook", data=body, headers=headers)
    assert (first.status_code, first.get_data(as_text=True)) == (200, "ok")
    assert (second.status_code, second.get_data(as_text=True)) == (200, "duplicate")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.PAID.value
    assert [e.to_status for e in order.events if e.part_id is None] == ["awaiting_payment", "paid"]
    assert stock_of(product) == 2


def test_a_second_event_for_the_same_payment_is_harmless(client, gateway):
    order, payment = open_order((factories.make_product(), 1))
    pay(gateway, payment)
    for _ in range(2):  # two different event ids, same news (Stripe may send both)
        assert (
            post_event(client, gateway, "payment_intent.succeeded", payment.intent_id).status_code
            == 200
        )
    db.session.expire_all()
    assert len(db.session.get(Order, order.id).events) == 3  # placed, paid, part new


@pytest.mark.parametrize(
    "mangle",
    [
        lambda body, sig: (body + b" ", sig),
        lambda body, sig: (body, ""),
        lambda body, sig: (body, "garbage"),
        lambda body, sig: (body, sig.replace("v1=", "v1=00")),
        lambda body, sig: (json.dumps(json.loads(body), indent=2).encode(), sig),
    ],
    ids=["tampered", "missing", "garbage", "wrong-mac", "re-serialised"],
)
def test_a_bad_signature_is_a_400_and_changes_nothing(client, gateway, mangle):
    order, payment = open_order((factories.make_product(), 1))
    pay(gateway, payment)
    body, signature = mangle(*signed(gateway, "payment_intent.succeeded", payment.intent_id))
    response = client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": signature})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value


def test_a_stale_timestamp_is_refused(client, gateway):
    order, payment = open_order((factories.make_product(), 1))
    pay(gateway, payment)
    body, _ = signed(gateway, "payment_intent.succeeded", payment.intent_id)
    old = stripe.WebhookSignature.generate_signature_header(
        body.decode(), gateway.webhook_secret, timestamp=int(time.time()) - 301
    )
    assert (
        client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": old}).status_code
        == 400
    )


def test_unknown_event_types_and_unknown_payments_are_ignored_with_200(client, gateway):
    order, payment = open_order((factories.make_product(), 1))
    assert post_event(client, gateway, "customer.created", payment.intent_id).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    # A well-formed event about a payment that is not ours (and names no order).
    stranger = Intent(id="pi_nope", status="succeeded", amount=payment.amount, order_id=None)
    body, signature = gateway.signed_event("payment_intent.succeeded", stranger)
    response = client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": signature})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value
    assert db.session.get(Payment, payment.id).status == PaymentStatus.PENDING.value


def test_a_late_payment_takes_the_stock_again_when_it_is_still_there(client, gateway):
    product = factories.make_product(stock=3)
    order, payment = open_order((product, 2))
    order.expires_at = now_utc() - dt.timedelta(minutes=1)
    db.session.commit()
    pay(gateway, payment)
    post_event(client, gateway, "payment_intent.succeeded", payment.intent_id)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.PAID.value
    assert [e.to_status for e in order.events if e.part_id is None] == [
        "awaiting_payment",
        "expired",
        "paid",
    ]
    assert stock_of(product) == 1


def test_a_late_payment_for_stock_that_is_gone_is_refunded_and_the_buyer_told(client, gateway):
    product = factories.make_product(stock=1)
    order, payment = open_order((product, 1))
    later = now_utc() + checkout.PAYMENT_WINDOW + dt.timedelta(minutes=1)
    lifecycle.expire_due_orders(now=later)
    other = factories.make_order((product, 1))  # someone else buys the unit meanwhile
    db.session.commit()

    pay(gateway, payment)
    post_event(client, gateway, "payment_intent.succeeded", payment.intent_id)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    payment = db.session.get(Payment, payment.id)
    assert order.status == OrderStatus.REFUNDED.value
    assert [part.status for part in order.parts] == [PartStatus.CANCELLED.value]
    assert payment.status == PaymentStatus.REFUNDED.value
    [refund] = services.refunds_of(order.id)
    assert (refund.amount, refund.reason, refund.part_id) == (payment.amount, "late_no_stock", None)
    assert refund.status == "succeeded" and refund.gateway_refund_id.startswith("re_test_")
    assert stock_of(product) == 0 and other.status == OrderStatus.AWAITING_PAYMENT.value
    html = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "kami kembalikan sepenuhnya" in html
    # the refund is made once, whatever arrives again
    post_event(client, gateway, "payment_intent.succeeded", payment.intent_id)
    assert len(gateway.refunds) == len(set(gateway.refunds.values()))


def test_the_return_from_the_payment_page_confirms_before_the_webhook(client, gateway):
    order, payment = open_order((factories.make_product(), 1))
    pay(gateway, payment)
    response = client.get(
        f"/pesanan/{order.access_token}/bayar/selesai?payment_intent={payment.intent_id}"
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID.value
    # then the webhook arrives: nothing more happens
    assert (
        post_event(client, gateway, "payment_intent.succeeded", payment.intent_id).status_code
        == 200
    )
    db.session.expire_all()
    assert len(db.session.get(Order, order.id).events) == 3


def test_the_return_page_refuses_another_orders_payment(client, gateway):
    mine, _ = open_order((factories.make_product(), 1))
    _, theirs = open_order((factories.make_product(), 1))
    url = f"/pesanan/{mine.access_token}/bayar/selesai?payment_intent={theirs.intent_id}"
    assert client.get(url).status_code == 404


def test_an_amount_that_does_not_match_is_not_accepted(gateway):
    order, payment = open_order((factories.make_product(), 1))
    intent = pay(gateway, payment)
    from marketplace.payments.gateway import Intent

    assert services.record_intent(Intent(intent.id, "succeeded", 1, order.id)) == []
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_PAYMENT.value


def test_an_expired_order_cannot_be_paid_from_the_page(client):
    order = factories.make_order((factories.make_product(), 1))
    order.expires_at = now_utc() - dt.timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/pesanan/{order.access_token}/bayar")
    assert response.status_code == 302 and response.headers["Location"].endswith(order.access_token)


def test_a_second_payment_for_a_paid_order_is_given_back(client, gateway):
    order, first = open_order((factories.make_product(), 1))
    pay(gateway, first)
    post_event(client, gateway, "payment_intent.succeeded", first.intent_id)
    # a second tab had started another attempt before the first one was confirmed
    second = Payment(
        order_id=order.id,
        gateway="test",
        intent_id="pi_test_second",
        amount=first.amount,
        idempotency_key=f"order-{order.id}-attempt-2",
    )
    db.session.add(second)
    db.session.commit()
    pay(gateway, second)
    post_event(client, gateway, "payment_intent.succeeded", second.intent_id)
    db.session.expire_all()
    assert db.session.get(Payment, second.id).status == PaymentStatus.REFUNDED.value
    assert db.session.get(Payment, first.id).status == PaymentStatus.SUCCEEDED.value
    assert db.session.get(Order, order.id).status == OrderStatus.PAID.value


def test_refunds_that_failed_are_retried_by_the_cli(app, gateway, monkeypatch):
    product = factories.make_product(stock=1)
    order, payment = open_order((product, 1))
    lifecycle.expire_due_orders(now=now_utc() + checkout.PAYMENT_WINDOW + dt.timedelta(minutes=1))
    factories.make_order((product, 1))
    db.session.commit()
    refunds = services.record_intent(pay(gateway, payment))
    db.session.commit()
    assert len(refunds) == 1  # recorded, but the gateway call was never made (a crash, say)
    result = app.test_cli_runner().invoke(args=["orders", "refunds"])
    assert result.exit_code == 0 and "1 refund(s) made" in result.output
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.REFUNDED.value
    assert app.test_cli_runner().invoke(args=["orders", "refunds"]).output.startswith("0 ")


def test_with_no_webhook_secret_every_event_is_refused(client, app):
    from marketplace.payments.gateway import TestGateway

    unsigned = TestGateway(webhook_secret="")
    app.extensions["payment_gateway"] = unsigned
    order, payment = open_order((factories.make_product(), 1))
    body, signature = unsigned.signed_event("payment_intent.succeeded", pay(unsigned, payment))
    response = client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": signature})
    assert response.status_code == 400


def test_an_intent_in_another_currency_is_not_accepted(gateway):
    order, payment = open_order((factories.make_product(), 1))
    from marketplace.payments.gateway import Intent

    usd = Intent(payment.intent_id, "succeeded", payment.amount, order.id, currency="usd")
    assert services.record_intent(usd) == []
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_PAYMENT.value


def test_a_failure_arriving_after_the_success_changes_nothing(client, gateway):
    order, payment = open_order((factories.make_product(), 1))
    intent = pay(gateway, payment)
    post_event(client, gateway, "payment_intent.succeeded", payment.intent_id)
    failed = gateway.complete(intent.id, amount=intent.amount, order_id=order.id, succeed=False)
    body, signature = gateway.signed_event("payment_intent.payment_failed", failed)
    client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": signature})
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED.value
    assert db.session.get(Order, order.id).status == OrderStatus.PAID.value


def test_no_transaction_is_open_while_the_gateway_is_called(client, gateway, monkeypatch):
    """A gateway call inside a write transaction would hold SQLite's lock over the network."""
    seen = []
    create, refund = gateway.create_intent, gateway.refund

    def spy_create(**kwargs):
        seen.append(("create", db.session().in_transaction()))
        return create(**kwargs)

    def spy_refund(*args, **kwargs):
        seen.append(("refund", db.session().in_transaction()))
        return refund(*args, **kwargs)

    monkeypatch.setattr(gateway, "create_intent", spy_create)
    monkeypatch.setattr(gateway, "refund", spy_refund)
    product = factories.make_product(stock=1)
    order = factories.make_order((product, 1))
    db.session.commit()
    client.get(f"/pesanan/{order.access_token}/bayar")
    payment = services.pending_payment(order.id)
    lifecycle.expire_due_orders(now=now_utc() + checkout.PAYMENT_WINDOW + dt.timedelta(minutes=1))
    factories.make_order((product, 1))
    db.session.commit()
    pay(gateway, payment)
    post_event(client, gateway, "payment_intent.succeeded", payment.intent_id)
    assert seen == [("create", False), ("refund", False)]


def test_refunds_never_exceed_the_payment(gateway):
    from marketplace.money.models import RefundReason

    order, payment = open_order((factories.make_product(), 1), (factories.make_product(), 1))
    services.record_intent(pay(gateway, payment))
    parts = order.parts
    for part in parts:
        lifecycle.cancel_part_for_buyer(order.id, part.id, actor_id=None)
        services.refund_part(part.id)
    assert sum(refund.amount for refund in services.refunds_of(order.id)) == payment.amount
    with pytest.raises(services.PaymentError):
        services.queue_refund(payment, 1, RefundReason.DUPLICATE, "one-rupiah-too-many")
