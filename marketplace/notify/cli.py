"""``flask notify``: the keys of Web Push."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.notify.push import new_private_key

notify_cli = AppGroup("notify", help="Messages: e-mail, WhatsApp, Web Push.")


@notify_cli.command("vapid-key")
def vapid_key_command() -> None:
    """Print a new VAPID private key for VAPID_PRIVATE_KEY (keep it; a new one ends every
    browser's subscription)."""
    click.echo(new_private_key())
