"""``flask orders``: expire unpaid orders (``flask orders refunds`` is money's: money/cli.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.orders.units import release_expired_orders

orders_cli = AppGroup(
    "orders", help="Orders: expiry of unpaid orders, delivery after the set days, pending refunds."
)


@orders_cli.command("expire")
def expire_command() -> None:
    """Expire orders unpaid after 30 minutes and give their stock back."""
    count = release_expired_orders()
    click.echo(f"{count} order(s) expired")
