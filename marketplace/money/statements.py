"""The household's side: when the next payout comes, and a monthly statement."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select, type_coerce

from marketplace.catalog.services import today_local
from marketplace.db import DATE_YEARS, WITA, UTCDateTime, db, read_rows
from marketplace.money.models import LedgerEntry
from marketplace.orders.models import OrderPart, order_number
from marketplace.pdf import render_pdf

#: a month as the statements' addresses name it: ``2026-11``
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
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
    """``2026-11`` -> its first and the next month's first instant, in WITA. ValueError for
    anything else: another way of writing it (``2026-1``), a month outside ``DATE_YEARS``."""
    if not MONTH.fullmatch(month):
        raise ValueError(f"not a month: {month!r}")
    start = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=WITA)
    if start.year not in DATE_YEARS:
        raise ValueError(f"not a month of ours: {month!r}")
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


#: the column's own type: it reads a moment as the column does (aware, in UTC), asked once
#: per minute a statement writes rather than once per entry
_MOMENT = UTCDateTime()

#: the household's ledger entries of a month, oldest first: the columns a statement writes
#: (rows, not entries), each with its part's order (None: no part), in one statement that
#: the household's index of entries by time answers; built once, a month is its bounds.
#: Each moment comes as the database gives it (naive UTC on SQLite, aware on PostgreSQL):
#: ``_written`` reads it as the column would, once per minute, not each entry's.
_STATEMENT = (
    select(
        type_coerce(LedgerEntry.created_at, UTCDateTime.impl).label("created_at"),
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
    (created_at, order_id, event_key, account, amount) rows; ``created_at`` as the database
    gives it, for ``_written`` to write."""
    start, end = month_bounds(month)
    return read_rows(_STATEMENT, {"seller_id": seller_id, "start": start, "end": end}).all()


def _order_numbers(entries) -> dict[int, str]:
    """Each order's number, by its id, written once (a month's entries share few orders)."""
    ids = {entry.order_id for entry in entries if entry.order_id}
    return {order_id: order_number(order_id) for order_id in ids}


@lru_cache(maxsize=4096)
def _written(minute: dt.datetime, pattern: str) -> str:
    """A minute as the database gives it (``statement_rows``), read as the column reads it
    and written in WITA with ``pattern``: once per process (a month's entries share their
    minutes with the other legs of their event, and each request would write them again)."""
    aware = _MOMENT.process_result_value(minute, db.engine.dialect)
    return aware.astimezone(WITA).strftime(pattern)


def _minutes(pattern: str):
    """A moment of ``statement_rows`` as WITA writes it with ``pattern`` (to the minute at
    most): the rows come oldest first and an event's legs share their minute, so the minute
    last written is tried first."""
    last_start = last_end = None
    last = ""

    def write(moment: dt.datetime) -> str:
        nonlocal last_start, last_end, last
        if last_start is None or not last_start <= moment < last_end:
            last_start = moment.replace(second=0, microsecond=0)
            last_end = last_start + _MINUTE
            last = _written(last_start, pattern)
        return last

    return write


def _labels(entries, label) -> dict[str, str]:
    """Each account of ``entries`` with its ``label``, asked once (a month has hundreds of
    entries and a handful of accounts)."""
    return {account: label(account) for account in {entry.account for entry in entries}}


class _Fields:
    """A few fields of a CSV line as ``csv.writer`` writes them (each quoted where it must
    be), without the line's end: a line's pieces written once each and joined, where most
    lines repeat the pieces of the one before (its minute, order and event; its account)."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out)

    def __call__(self, *fields: object) -> str:
        # Two fields at least: a line of one empty field is written as "" (not nothing).
        assert len(fields) > 1
        self._out.seek(0)
        self._out.truncate()
        self._writer.writerow(fields)
        return self._out.getvalue()[: -len(self._writer.dialect.lineterminator)]


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
    share of the page. A line is its event's fields (minute, order number, event), its
    account's (account, label) and its amount: the legs of an event share their minute,
    order and event and a month has a handful of accounts, so each of those pieces is
    written as CSV once (``_Fields``) and a line joins them."""
    fields = _Fields()
    minute = _minutes("%Y-%m-%d %H:%M")
    events: dict[tuple, str] = {}
    names: dict[str, str] = {}
    accounts: dict[str, str] = {}
    totals: dict[str, int] = {}
    lines = []
    for created_at, order_id, event_key, account, amount in statement_rows(seller_id, month):
        written = minute(created_at)
        event = events.get((written, order_id, event_key))
        if event is None:
            number = order_number(order_id) if order_id else ""
            event = events[(written, order_id, event_key)] = fields(written, number, event_key)
        named = accounts.get(account)
        if named is None:
            names[account] = label(account)
            named = accounts[account] = fields(account, names[account])
            totals[account] = 0
        totals[account] += amount
        lines.append(f"{event},{named},{amount}\r\n")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["tanggal", "pesanan", "kejadian", "akun", "keterangan", "jumlah"])
    out.write("".join(lines))
    writer.writerows(
        ["", "", "total", account, names[account], total]
        for account, total in sorted(totals.items())
    )
    return out.getvalue()
