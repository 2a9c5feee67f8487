"""``flask payouts``: run the payouts, reconcile; ``flask orders deliver`` and ``refunds``,
which are money's but stay where operators know them. Each is safe twice."""

from __future__ import annotations

import datetime as dt
import os

import click
from flask.cli import AppGroup

from marketplace.db import db, today_local, unit_of_work
from marketplace.money import ledger_sums
from marketplace.money.availability import after_days, deliver_due_parts
from marketplace.money.bank_statements import StatementError, import_statement
from marketplace.money.payment_units import issue_refunds
from marketplace.money.payment_views import handle_event
from marketplace.money.payments import HANDLED_EVENTS, pending_refund_ids
from marketplace.money.reconcile import default_days, period_of, period_refusal, reconcile
from marketplace.money.runs import run_payouts
from marketplace.orders.cli import orders_cli
from marketplace.payments.connect import get_connect
from marketplace.payments.gateway import get_gateway

payouts_cli = AppGroup("payouts", help="Payouts to households: run, release, reconcile.")


@payouts_cli.command("run")
def run_command() -> None:
    """Pay every available balance above the minimum (once per household per day)."""

    result = run_payouts()
    click.echo(f"{len(result.created)} payout(s) created, {len(result.transferred)} transferred")
    for shop, reason in result.skipped:
        click.echo(f"skipped {shop}: {reason}")
    for number, reason in result.failed:
        click.echo(f"FAILED {number}: {reason}", err=True)
    for number, amount in result.reversed:
        click.echo(f"reversed {amount} of {number}")


@payouts_cli.command("reconcile")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (WITA).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (WITA), included.")
def reconcile_command(since: dt.datetime | None, until: dt.datetime | None) -> None:
    """Compare the ledger with the gateway's charges, refunds and transfers, the bank
    batches, and the SP2D receipts with the bank's statement (the last 31 days by
    default); exit 1 on any difference."""

    first, last = default_days(today_local())
    first, last = (since.date() if since else first), (until.date() if until else last)
    if (refusal := period_refusal(first, last)) is not None:
        raise click.UsageError(f"{first} .. {last}: {refusal}")
    click.echo(f"reconciling {first} .. {last}")
    differences = reconcile(period_of(first, last), gateway=get_gateway(), connect=get_connect())
    for difference in differences:
        click.echo(
            f"{difference.subject}: [{difference.note}] {difference.label} "
            f"(ledger {difference.ledger!r}, {difference.against} {difference.gateway!r})"
        )
    click.echo(f"{len(differences)} difference(s)")
    if differences:
        raise SystemExit(1)


@payouts_cli.command("check-balances")
@click.option("--rebuild", is_flag=True, help="Recompute the sums from the ledger after reporting.")
def check_balances_command(rebuild: bool) -> None:
    """Recompute every household's running sums (balances, sales per month, what waits per
    part) from the ledger's entries and report each one kept differently; exit 1 on any
    difference (``--rebuild``: then write them again from the entries)."""

    db.session.rollback()
    options = {}
    if db.engine.dialect.name == "postgresql":
        # The entries and the sums read in one snapshot, however busy the shop is.
        options["isolation_level"] = "REPEATABLE READ"
    found = ledger_sums.differences(db.session.connection(execution_options=options))
    for line in found:
        click.echo(line)
    click.echo(f"{len(found)} difference(s)")
    db.session.rollback()
    if found and rebuild:
        with unit_of_work():
            ledger_sums.rebuild()
            db.session.commit()
        click.echo("rebuilt from the ledger")
    elif found:
        raise SystemExit(1)


@payouts_cli.command("bank-statement")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def bank_statement_command(path: str) -> None:
    """Import the bank's statement (CSV) of the account invoices are paid into, as the
    admin's reconciliation page does; a line imported before is not stored twice."""
    with open(path, "rb") as file, unit_of_work():
        try:
            imported = import_statement(file.read(), os.path.basename(path), None)
        except StatementError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
    click.echo(
        f"{imported.first_day} .. {imported.last_day}: {imported.lines} line(s), "
        f"{imported.new_lines} new"
    )


@payouts_cli.command("replay-events")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="UTC time of the backup restored (Stripe keeps 30 days of events).",
)
def replay_events_command(since: dt.datetime) -> None:
    """Handle again the gateway's payment and refund events since a time, as the webhook
    would (after a restore: the payments made since the backup). Safe twice."""
    events = get_gateway().list_events(since.replace(tzinfo=dt.UTC), HANDLED_EVENTS)
    outcomes: dict[str, int] = {}
    for event in events:
        answer, status = handle_event(event, get_gateway())
        outcomes[answer] = outcomes.get(answer, 0) + 1
        if status != 200:
            click.echo(f"{event.id} {event.type}: {answer} ({status})", err=True)
    click.echo(
        f"{len(events)} event(s): "
        + (", ".join(f"{count} {answer}" for answer, count in sorted(outcomes.items())) or "-")
    )
    if any(answer in ("retry", "bad event") for answer in outcomes):
        raise SystemExit(1)


# Refunds are money's; the command stays where operators know it, under ``flask orders``.
@orders_cli.command("refunds")
def refunds_command() -> None:
    """Send the refunds recorded but not yet taken by the payment gateway."""
    refunded = issue_refunds(pending_refund_ids(), get_gateway())
    click.echo(f"{refunded} refund(s) made")


@orders_cli.command("deliver")
def deliver_command() -> None:
    """Mark delivered the parts shipped the set days ago without an open complaint."""
    click.echo(f"{deliver_due_parts()} part(s) delivered after {after_days()} days")


# Its former name, for the cron lines written before parts were marked delivered.
payouts_cli.add_command(deliver_command, "release")
