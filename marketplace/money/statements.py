"""The household's side: when the next payout comes, and a monthly statement."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import current_app
from sqlalchemy import bindparam, select

from marketplace.catalog.services import today_local
from marketplace.db import UTCDateTime, read_rows
from marketplace.money.models import LedgerEntry
from marketplace.orders.models import OrderPart, order_number
from marketplace.pdf import render_pdf

WITA = dt.timezone(dt.timedelta(hours=8))
_MINUTE = dt.timedelta(minutes=1)
#: Monday
DEFAULT_RUN_WEEKDAY = 0


def next_run_date(today: dt.date | None = None) -> dt.date:
    """The next payout run day on or after today (``PAYOUT_RUN_WEEKDAY``, 0 = Monday)."""
    today = today or today_local()
    weekday = int(current_app.config.get("PAYOUT_RUN_WEEKDAY", DEFAULT_RUN_WEEKDAY)) % 7
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def recent_months(today: dt.date, count: int = 3) -> list[str]:
    """This month and the ones before it, newest first: ``["2026-11", "2026-10", ...]``."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``2026-11`` -> its first and the next month's first instant, in WITA."""
    start = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=WITA)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


#: the household's ledger entries of a month, oldest first: the columns a statement writes
#: (rows, not entries), each with its part's order (None: no part), in one statement that
#: the household's index of entries by time answers; built once, a month is its bounds
_STATEMENT = (
    select(
        LedgerEntry.created_at,
        OrderPart.order_id,
        LedgerEntry.event_key,
        LedgerEntry.account,
        LedgerEntry.amount,
    )
    .outerjoin(OrderPart, OrderPart.id == LedgerEntry.order_part_id)
    .where(
        LedgerEntry.seller_id == bindparam("seller_id"),
        LedgerEntry.created_at >= bindparam("start", type_=UTCDateTime),
        LedgerEntry.created_at < bindparam("end", type_=UTCDateTime),
    )
    .order_by(LedgerEntry.id)
)


def statement_rows(seller_id: int, month: str) -> list:
    """The household's ledger entries of the month, oldest first, as
    (created_at, order_id, event_key, account, amount) rows."""
    start, end = month_bounds(month)
    return read_rows(_STATEMENT, {"seller_id": seller_id, "start": start, "end": end}).all()


def _order_numbers(entries) -> dict[int, str]:
    """Each order's number, by its id, written once (a month's entries share few orders)."""
    ids = {entry.order_id for entry in entries if entry.order_id}
    return {order_id: order_number(order_id) for order_id in ids}


def _minutes(pattern: str):
    """A moment as WITA writes it with ``pattern`` (to the minute at most), written once
    per minute: a month's entries come in events whose legs share their minute."""
    written: dict[dt.datetime, str] = {}

    def write(moment: dt.datetime) -> str:
        minute = moment.replace(second=0, microsecond=0)
        found = written.get(minute)
        if found is None:
            found = written[minute] = minute.astimezone(WITA).strftime(pattern)
        return found

    return write


def _labels(entries, label) -> dict[str, str]:
    """Each account of ``entries`` with its ``label``, asked once (a month has hundreds of
    entries and a handful of accounts)."""
    return {account: label(account) for account in {entry.account for entry in entries}}


def statement_pdf(seller, month: str, label) -> bytes:
    """The month's statement as a PDF (WeasyPrint, like the institutions' documents)."""
    entries = statement_rows(seller.id, month)
    numbers = _order_numbers(entries)
    labels = _labels(entries, label)
    day = _minutes("%d-%m-%Y")
    totals: dict[str, int] = {}
    rows = []
    for entry in entries:
        rows.append(
            {
                "day": day(entry.created_at),
                "order": numbers[entry.order_id] if entry.order_id else "",
                "label": labels[entry.account],
                "amount": entry.amount,
            }
        )
        totals[entry.account] = totals.get(entry.account, 0) + entry.amount
    return render_pdf(
        "payouts/statement_pdf.html",
        seller=seller,
        month=month,
        rows=rows,
        totals=[(labels[account], total) for account, total in sorted(totals.items())],
    )


def statement_csv(seller_id: int, month: str, label) -> str:
    """One line per ledger entry of the household in the month, then the totals.

    Written in one pass over the rows: a month has hundreds of entries and each costs its
    share of the page, so each row's order number, label and time are looked up in dicts
    filled once per order, account and minute. The rows come oldest first and an event's
    legs share their minute, so the minute last written is tried first."""
    numbers: dict[int | None, str] = {None: ""}
    labels: dict[str, str] = {}
    totals: dict[str, int] = {}
    lines = []
    minute_start = minute_end = None
    written = ""
    for created_at, order_id, event_key, account, amount in statement_rows(seller_id, month):
        if minute_start is None or not minute_start <= created_at < minute_end:
            minute_start = created_at.replace(second=0, microsecond=0)
            minute_end = minute_start + _MINUTE
            written = minute_start.astimezone(WITA).strftime("%Y-%m-%d %H:%M")
        number = numbers.get(order_id)
        if number is None:
            number = numbers[order_id] = order_number(order_id)
        name = labels.get(account)
        if name is None:
            name = labels[account] = label(account)
            totals[account] = 0
        totals[account] += amount
        lines.append((written, number, event_key, account, name, amount))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["tanggal", "pesanan", "kejadian", "akun", "keterangan", "jumlah"])
    writer.writerows(lines)
    writer.writerows(
        ["", "", "total", account, labels[account], total]
        for account, total in sorted(totals.items())
    )
    return out.getvalue()
