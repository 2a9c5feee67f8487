"""``flask institutions release-holds``: a cron line marks ended holds as released."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.db import db
from marketplace.institutions.services import release_expired_holds

institutions_cli = AppGroup("institutions", help="Protocol offices and their quotes.")


@institutions_cli.command("release-holds")
def release_holds_command() -> None:
    """Mark capacity holds whose end has passed as released (safe to run any time)."""
    released = release_expired_holds()
    db.session.commit()
    click.echo(f"Released {released} holds.")
