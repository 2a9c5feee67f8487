"""``flask orders``: expire unpaid orders, retry refunds that did not go through."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.db import db
from marketplace.orders.models import Order, OrderStatus
from marketplace.orders.units import release_expired_orders

orders_cli = AppGroup("orders", help="Orders: expiry of unpaid orders, pending refunds.")


@orders_cli.command("expire")
def expire_command() -> None:
    """Expire orders unpaid after 30 minutes and give their stock back."""
    count = release_expired_orders()
    click.echo(f"{count} order(s) expired")


@orders_cli.command("refunds")
def refunds_command() -> None:
    """Refund payments still held for orders that ended without stock."""
    from marketplace.payments.gateway import get_gateway
    from marketplace.payments.models import Payment, PaymentStatus
    from marketplace.payments.units import refund_payments

    gateway = get_gateway()
    due = db.session.scalars(
        select(Payment.id)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.status == PaymentStatus.SUCCEEDED.value,
            Order.status == OrderStatus.REFUNDED.value,
        )
    ).all()
    refunded = refund_payments(due, gateway)
    click.echo(f"{refunded} refund(s) made")
