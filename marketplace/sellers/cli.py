"""``flask sellers …``: housekeeping for the seller pages."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.db import db
from marketplace.sellers.services import UPLOAD_KEPT_HOURS, prune_uploads

sellers_cli = AppGroup("sellers", help="Household shops and their listings.")


@sellers_cli.command("prune-uploads")
@click.option(
    "--hours",
    default=48,
    show_default=True,
    type=click.IntRange(UPLOAD_KEPT_HOURS.start, UPLOAD_KEPT_HOURS.stop - 1),
    help="Keep uploads younger than this (a day at the least).",
)
def prune_uploads_command(hours: int) -> None:
    """Forget photos uploaded with a form that was never completed."""
    count = prune_uploads(hours)
    db.session.commit()
    click.echo(f"Removed {count} unused uploads.")
