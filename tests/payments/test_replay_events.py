"""After a restore: the payments Stripe took since the backup are read back from Stripe's
events (``flask payouts replay-events``), as the webhook would have handled them."""

from __future__ import annotations

import contextvars
import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.orders.models import OrderEvent, OrderStatus
from marketplace.payments.stripe_gateway import StripeGateway
from tests.payments.test_stripe_http import order_status, start_checkout, two_household_order
from tests.stripe_server import WEBHOOK_SECRET


@pytest.fixture
def gateway(app, stripe_server, payment_gateway):
    """The app on Stripe (the test server), whose webhook deliveries are never made."""
    app.extensions["payment_gateway"] = StripeGateway(
        secret_key=stripe_server.secret_key,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe_server.url,
    )
    stripe_server.add_webhook_endpoint()


def replay(app, since: dt.datetime):
    """The command, in an app context of its own (as in its own process)."""
    arguments = ["payouts", "replay-events", "--since", f"{since:%Y-%m-%dT%H:%M:%S}"]
    return contextvars.Context().run(app.test_cli_runner().invoke, args=arguments)


def test_a_payment_whose_webhook_never_arrived_is_replayed_once(
    app, client, gateway, stripe_server
):
    backup_time = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    order = two_household_order()
    _, payment = start_checkout(client, order)
    # Paid at Stripe; its webhook is lost (the site was being restored).
    stripe_server.pay(payment.intent_id)
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value

    result = replay(app, backup_time)
    assert result.exit_code == 0, result.output
    assert " ok" in result.output
    assert order_status(order) == OrderStatus.PAID.value, result.output

    # Replayed again (or the webhook arriving after all): nothing moves twice.
    again = replay(app, backup_time)
    assert again.exit_code == 0 and "duplicate" in again.output and " ok" not in again.output
    paid_moves = select(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.to_status == OrderStatus.PAID.value
    )
    assert len(db.session.scalars(paid_moves).all()) == 1


def test_events_before_the_backup_are_left_alone(app, client, gateway, stripe_server):
    order = two_household_order()
    _, payment = start_checkout(client, order)
    stripe_server.pay(payment.intent_id)

    result = replay(app, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    assert result.exit_code == 0 and "0 event(s)" in result.output
    assert order_status(order) == OrderStatus.AWAITING_PAYMENT.value
