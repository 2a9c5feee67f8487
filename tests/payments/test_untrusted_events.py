"""A payment event with a good signature and a bad body is refused (400), logged, and
changes nothing: over HTTP, from the "Mode uji" gateway and from Stripe (the tests' Stripe
server and the real ``stripe`` library).

Each test takes a genuine event for a payment the buyer made, bends one thing in its
body, signs it again with the right secret, and posts it. The genuine event still pays
the order afterwards, so what was refused was only the bent body.
"""

from __future__ import annotations

import copy
import json
import logging

import pytest
import stripe
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.money.models import Payment, PaymentStatus
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.models import WebhookEvent
from tests import factories
from tests.payments.test_stripe_http import (  # noqa: F401
    gateway,
    start_checkout,
    stripe_api,
    two_household_order,
    webhooks,
)
from tests.stripe_server import WEBHOOK_SECRET, sign


def bent(event: dict, path: str, value) -> dict:
    """``event`` with the field at ``path`` (dots; ``-`` removes it) set to ``value``."""
    event = copy.deepcopy(event)
    *parents, last = path.split(".")
    holder = event
    for name in parents:
        holder = holder[name]
    if value == "-":
        del holder[last]
    else:
        holder[last] = value
    return event


def what_it_changed(order, payment, product) -> tuple:
    db.session.expire_all()
    return (
        db.session.get(Order, order.id).status,
        db.session.get(Payment, payment.id).status,
        db.session.get(type(product), product.id).stock,
        db.session.scalar(select(func.count()).select_from(WebhookEvent)),
    )


#: Bodies a phone, a script or a broken proxy could send, each with a good signature.
BENT = {
    "amount abc": ("data.object.amount", "abc"),
    "amount null": ("data.object.amount", None),
    "amount fraction": ("data.object.amount", 1.5),
    "amount true": ("data.object.amount", True),
    "amount negative": ("data.object.amount", -1),
    "amount 1e30": ("data.object.amount", 10**30),
    "amount missing": ("data.object.amount", "-"),
    "status null": ("data.object.status", None),
    "status unknown": ("data.object.status", "paid_in_full"),
    "status missing": ("data.object.status", "-"),
    "metadata null": ("data.object.metadata", None),
    "metadata a list": ("data.object.metadata", ["order_id"]),
    "order id abc": ("data.object.metadata.order_id", "abc"),
    "order id superscript": ("data.object.metadata.order_id", "²"),
    "order id 2^31": ("data.object.metadata.order_id", str(2**31)),
    "order id 10^20": ("data.object.metadata.order_id", "1" + "0" * 20),
    "order id a number": ("data.object.metadata.order_id", 7),
    "unknown order id": ("data.object.metadata.order_id", "2147483000"),
    "object of another kind": ("data.object.object", "refund"),
    "object id null": ("data.object.id", None),
    "object null": ("data.object", None),
    "object a list": ("data.object", []),
    "data null": ("data", None),
    "event id missing": ("id", "-"),
    "type a number": ("type", 7),
}


# --- "Mode uji" ------------------------------------------------------------------------------


@pytest.fixture
def paid_by_test_gateway(payment_gateway):
    """An order, its payment paid at the test gateway, and the genuine event saying so."""
    from marketplace.money import payment_units
    from marketplace.payments.gateway import get_gateway

    product = factories.make_product(stock=5)
    order = factories.make_order((product, 2))
    db.session.commit()
    payment = payment_units.open_payment(order.id, get_gateway())
    intent = payment_gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
    )
    body, _ = payment_gateway.signed_event("payment_intent.succeeded", intent)
    return order, payment, product, json.loads(body)


def post_signed(client, body: bytes, secret: str):
    signature = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    return client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": signature})


@pytest.mark.parametrize(("path", "value"), BENT.values(), ids=BENT.keys())
def test_the_test_gateway_refuses_a_bent_event(
    client, payment_gateway, paid_by_test_gateway, caplog, path, value
):
    order, payment, product, event = paid_by_test_gateway
    before = what_it_changed(order, payment, product)
    with caplog.at_level(logging.WARNING, logger="marketplace.money.payment_views"):
        response = post_signed(
            client, json.dumps(bent(event, path, value)).encode(), payment_gateway.webhook_secret
        )
    assert (response.status_code, response.text) == (400, "bad event")
    assert "webhook refused" in caplog.text
    assert what_it_changed(order, payment, product) == before

    genuine = post_signed(client, json.dumps(event).encode(), payment_gateway.webhook_secret)
    assert (genuine.status_code, genuine.text) == (200, "ok")
    assert what_it_changed(order, payment, product)[0] == OrderStatus.PAID.value


@pytest.mark.parametrize(
    "body",
    [b"null", b"[]", b"7", b'"event"', b"{", b"{}", b"1" * 5000],
    ids=["null", "list", "number", "string", "broken", "empty", "long number"],
)
def test_the_test_gateway_refuses_a_body_that_is_no_event(
    client, payment_gateway, paid_by_test_gateway, body
):
    order, payment, product, _ = paid_by_test_gateway
    before = what_it_changed(order, payment, product)
    response = post_signed(client, body, payment_gateway.webhook_secret)
    assert (response.status_code, response.text) == (400, "bad event")
    assert what_it_changed(order, payment, product) == before


def test_an_event_naming_another_order_than_its_payment_is_refused(
    client, payment_gateway, paid_by_test_gateway, caplog
):
    order, payment, product, event = paid_by_test_gateway
    other = factories.make_order((factories.make_product(), 1))
    db.session.commit()
    before = what_it_changed(order, payment, product)
    elsewhere = bent(event, "data.object.metadata.order_id", str(other.id))
    response = post_signed(client, json.dumps(elsewhere).encode(), payment_gateway.webhook_secret)
    assert (response.status_code, response.text) == (400, "bad event")
    assert f"pays order {order.id}, not order {other.id}" in caplog.text
    assert what_it_changed(order, payment, product) == before
    assert db.session.get(Order, other.id).status == OrderStatus.AWAITING_PAYMENT.value


# --- Stripe ----------------------------------------------------------------------------------


#: What differs in a Checkout Session's event.
STRIPE_BENT = {
    "amount_total abc": ("data.object.amount_total", "abc"),
    "amount_total null": ("data.object.amount_total", None),
    "amount_total missing": ("data.object.amount_total", "-"),
    "payment_status unknown": ("data.object.payment_status", "mostly"),
    "status null": ("data.object.status", None),
    "currency a number": ("data.object.currency", 360),
    "metadata null": ("data.object.metadata", None),
    "order id abc": ("data.object.metadata.order_id", "abc"),
    "unknown order id": ("data.object.metadata.order_id", "2147483000"),
    "payment_intent a number": ("data.object.payment_intent", 5),
    "object of another kind": ("data.object.object", "payment_intent"),
    "object null": ("data.object", None),
}


@pytest.mark.parametrize(("path", "value"), STRIPE_BENT.values(), ids=STRIPE_BENT.keys())
def test_a_bent_stripe_event_is_refused(
    client,
    gateway,  # noqa: F811
    stripe_server,
    webhooks,  # noqa: F811
    caplog,
    path,
    value,
):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)
    [(body, headers)] = webhooks.take("checkout.session.completed")
    product = order.parts[0].lines[0].product
    before = what_it_changed(order, payment, product)

    raw = json.dumps(bent(json.loads(body), path, value)).encode()
    with caplog.at_level(logging.WARNING, logger="marketplace.money.payment_views"):
        response = client.post(
            "/stripe/webhook", data=raw, headers={"Stripe-Signature": sign(raw, WEBHOOK_SECRET)}
        )
    assert (response.status_code, response.text) == (400, "bad event")
    assert "webhook refused" in caplog.text
    assert what_it_changed(order, payment, product) == before

    genuine = client.post("/stripe/webhook", data=body, headers=headers)
    assert (genuine.status_code, genuine.text) == (200, "ok")
    assert what_it_changed(order, payment, product)[:2] == (
        OrderStatus.PAID.value,
        PaymentStatus.SUCCEEDED.value,
    )


def test_a_stripe_session_whose_metadata_names_no_order_of_ours_is_refused(
    client,
    gateway,  # noqa: F811
    stripe_server,
    stripe_api,  # noqa: F811
    webhooks,  # noqa: F811
    caplog,
):
    """Signed by Stripe itself: a session made elsewhere on the account, naming an order id
    this site does not have, or one that cannot be an order id."""
    for order_id in ("2147483000", "abc"):
        stranger = stripe_api.v1.checkout.sessions.create(
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
                "metadata": {"order_id": order_id},
                "success_url": "http://elsewhere.test/",
            }
        )
        stripe_server.pay(stranger.id)
        [(body, headers)] = webhooks.take("checkout.session.completed")
        with caplog.at_level(logging.WARNING, logger="marketplace.money.payment_views"):
            response = client.post("/stripe/webhook", data=body, headers=headers)
        assert (response.status_code, response.text) == (400, "bad event")
        assert "webhook refused" in caplog.text
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


# --- Stripe Connect ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b'{"id": "evt_a", "type": "account.updated", "data": {"object": null}}',
        *(
            json.dumps(
                {
                    "id": "evt_a",
                    "type": "account.updated",
                    "data": {"object": {"id": "acct_x", "object": "account", **fields}},
                }
            ).encode()
            for fields in ({"payouts_enabled": "yes"}, {"payouts_enabled": None}, {})
        ),
    ],
    ids=["null", "object null", "payouts_enabled yes", "payouts_enabled null", "missing"],
)
def test_a_bent_connect_event_is_refused(app, client, body):
    secret = app.config["TEST_WEBHOOK_SECRET"]
    response = client.post(
        "/stripe/connect/webhook", data=body, headers={"Stripe-Signature": sign(body, secret)}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
