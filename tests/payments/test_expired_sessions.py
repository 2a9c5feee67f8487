"""An order that expires closes its Stripe Checkout Session, over HTTP against the tests'
Stripe server: after the expiry's commit, once however often it runs, and calmly when
the session was paid or expired at Stripe meanwhile."""

from __future__ import annotations

import datetime as dt
import logging

from marketplace.db import db, now_utc
from marketplace.jobs import JOBS, run_pending_jobs
from marketplace.money.models import PaymentStatus
from marketplace.money.payment_units import EXPIRE_CHECKOUTS_JOB
from marketplace.orders.models import OrderStatus
from tests import factories
from tests.payments.test_stripe_http import (  # noqa: F401
    deliver,
    gateway,
    order_status,
    payment_status,
    start_checkout,
    stripe_api,
    two_household_order,
    webhooks,
)


def past_its_time(order) -> None:
    order.expires_at = now_utc() - dt.timedelta(minutes=1)
    db.session.commit()


def test_flask_orders_expire_closes_the_checkout_session(
    app,
    client,
    gateway,  # noqa: F811
    stripe_api,  # noqa: F811
):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    assert stripe_api.v1.checkout.sessions.retrieve(payment.intent_id).status == "open"
    past_its_time(order)

    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert "1 order(s) expired" in result.output
    # Not before the expiry's commit: the job waits for it.
    assert stripe_api.v1.checkout.sessions.retrieve(payment.intent_id).status == "open"
    run_pending_jobs()

    session = stripe_api.v1.checkout.sessions.retrieve(payment.intent_id)
    assert (session.status, session.url) == ("expired", None)
    assert order_status(order) == OrderStatus.EXPIRED.value
    assert payment_status(payment) == PaymentStatus.FAILED.value

    # The same job again (a queue delivering it twice): nothing more, no error.
    assert JOBS[EXPIRE_CHECKOUTS_JOB](order.id) == 0
    db.session.commit()
    assert stripe_api.v1.checkout.sessions.retrieve(payment.intent_id).status == "expired"
    assert len(stripe_api.v1.checkout.sessions.list().data) == 1


def test_the_lazy_expiry_on_the_order_page_closes_it_too(
    client,
    gateway,  # noqa: F811
    stripe_api,  # noqa: F811
    webhooks,  # noqa: F811
):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    past_its_time(order)
    page = client.get(f"/pesanan/{order.access_token}")
    assert page.status_code == 200 and "Kedaluwarsa" in page.get_data(as_text=True)
    assert stripe_api.v1.checkout.sessions.retrieve(payment.intent_id).status == "expired"
    # Stripe tells of it, as of any expired session.
    response, _, _ = deliver(client, webhooks, "checkout.session.expired")
    assert response.status_code == 200
    assert payment_status(payment) == PaymentStatus.FAILED.value


def test_a_session_expired_at_stripe_already_is_logged_not_failed(
    client,
    gateway,  # noqa: F811
    stripe_api,  # noqa: F811
    caplog,
):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_api.v1.checkout.sessions.expire(payment.intent_id)  # its webhook never came
    past_its_time(order)
    with caplog.at_level(logging.WARNING, logger="marketplace.money.payment_units"):
        assert JOBS[EXPIRE_CHECKOUTS_JOB](order.id) == 0
    db.session.commit()
    assert f"{payment.intent_id} was not expired" in caplog.text
    # What Stripe says of it is recorded instead, as its webhook would have.
    assert payment_status(payment) == PaymentStatus.FAILED.value


def test_a_session_paid_just_before_the_expiry_is_left_to_the_payment(
    app,
    client,
    gateway,  # noqa: F811
    stripe_server,
    stripe_api,  # noqa: F811
    caplog,
):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)  # paid; its webhook is still on its way
    past_its_time(order)
    app.test_cli_runner().invoke(args=["orders", "expire"])
    with caplog.at_level(logging.WARNING, logger="marketplace.money.payment_units"):
        run_pending_jobs()
    assert f"{payment.intent_id} was not expired" in caplog.text
    session = stripe_api.v1.checkout.sessions.retrieve(payment.intent_id)
    assert (session.status, session.payment_status) == ("complete", "paid")
    # The stock was still there, so the late payment pays the order after all.
    assert payment_status(payment) == PaymentStatus.SUCCEEDED.value
    assert order_status(order) == OrderStatus.PAID.value


def test_mode_uji_has_nothing_to_close(app, client, payment_gateway):
    order = factories.make_order((factories.make_product(stock=3), 1))
    db.session.commit()
    assert client.get(f"/pesanan/{order.access_token}/bayar").status_code == 200
    past_its_time(order)
    app.test_cli_runner().invoke(args=["orders", "expire"])
    run_pending_jobs()
    assert order_status(order) == OrderStatus.EXPIRED.value
    assert JOBS[EXPIRE_CHECKOUTS_JOB](order.id) == 0
