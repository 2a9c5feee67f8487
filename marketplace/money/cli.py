"""``flask payouts``: run the payouts, release shipped parts, reconcile. Each is safe twice."""

from __future__ import annotations

import click
from flask.cli import AppGroup

payouts_cli = AppGroup("payouts", help="Payouts to households: run, release, reconcile.")


@payouts_cli.command("run")
def run_command() -> None:
    """Pay every available balance above the minimum (once per household per day)."""
    from marketplace.money.runs import run_payouts

    result = run_payouts()
    click.echo(f"{len(result.created)} payout(s) created, {len(result.transferred)} transferred")
    for shop, reason in result.skipped:
        click.echo(f"skipped {shop}: {reason}")
    for number, reason in result.failed:
        click.echo(f"FAILED {number}: {reason}", err=True)
    for number, amount in result.reversed:
        click.echo(f"reversed {amount} of {number}")


@payouts_cli.command("release")
def release_command() -> None:
    """Make shipped parts' money available after the set days without a complaint."""
    from marketplace.money.availability import release_due_parts

    click.echo(f"{release_due_parts()} part(s) released")


@payouts_cli.command("reconcile")
def reconcile_command() -> None:
    """Compare the ledger with the bank batches and Stripe; exit 1 on any difference."""
    from marketplace.money.reconcile import reconcile
    from marketplace.payments.connect import get_connect

    differences = reconcile(get_connect())
    for difference in differences:
        click.echo(
            f"{difference.subject}: {difference.label} "
            f"(ledger {difference.ledger!r}, gateway {difference.gateway!r})"
        )
    click.echo(f"{len(differences)} difference(s)")
    if differences:
        raise SystemExit(1)
