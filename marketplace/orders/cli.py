"""``flask orders``: expire unpaid orders, send refunds that did not go through."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.orders.units import release_expired_orders

orders_cli = AppGroup("orders", help="Orders: expiry of unpaid orders, pending refunds.")


@orders_cli.command("expire")
def expire_command() -> None:
    """Expire orders unpaid after 30 minutes and give their stock back."""
    count = release_expired_orders()
    click.echo(f"{count} order(s) expired")


@orders_cli.command("refunds")
def refunds_command() -> None:
    """Send the refunds recorded but not yet taken by the payment gateway."""
    from marketplace.money.payment_units import issue_refunds
    from marketplace.money.payments import pending_refund_ids
    from marketplace.payments.gateway import get_gateway

    refunded = issue_refunds(pending_refund_ids(), get_gateway())
    click.echo(f"{refunded} refund(s) made")
