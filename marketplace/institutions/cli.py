"""``flask institutions release-holds`` and ``lapse-unconfirmed``: cron lines."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.db import db
from marketplace.institutions.replacements import lapse_unconfirmed, remind_unconfirmed
from marketplace.inventory.stock import release_expired_holds

institutions_cli = AppGroup("institutions", help="Protocol offices and their quotes.")


@institutions_cli.command("release-holds")
def release_holds_command() -> None:
    """Mark capacity holds whose end has passed as released (safe to run any time)."""
    released = release_expired_holds()
    db.session.commit()
    click.echo(f"Released {released} holds.")


@institutions_cli.command("lapse-unconfirmed")
def lapse_unconfirmed_command() -> None:
    """Decline parts whose household did not confirm by the deadline, and remind those whose
    deadline ends within 12 hours (safe to run any time)."""
    lapsed = lapse_unconfirmed()
    db.session.commit()
    reminded = remind_unconfirmed()
    db.session.commit()
    click.echo(f"Lapsed {lapsed} unconfirmed parts. Reminded {reminded} households.")
