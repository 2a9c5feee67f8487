"""The open government invoices as a treasurer reads them: by age (umur piutang), each
bucket's sum over every open invoice, and one page of the invoices, oldest first."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import String, bindparam, case, func, literal_column, select, type_coerce

from marketplace.catalog.services import today_local
from marketplace.db import WITA, db, local_date, read_rows
from marketplace.institutions.models import (
    Document,
    GovInvoice,
    Institution,
    InvoiceStatus,
    Quote,
)
from marketplace.orders.models import Order, order_number
from marketplace.paging import Page, paginate


class Outstanding(NamedTuple):
    """One open invoice as the admin's list shows it: plain values, read as one row (a
    tuple: the page's rows unpack it)."""

    invoice_id: int
    #: the invoice document's number
    number: str
    order_number: str
    institution_name: str
    issued_at: dt.datetime
    #: the day (WITA) it was issued
    issued_on: dt.date
    #: whole rupiah still owed
    outstanding_amount: int
    #: whole days since the invoice date (WITA): a government invoice is due at the signed
    #: BAST it is issued with, so its date is also the day it fell due
    age_days: int


@dataclass
class AgeBucket:
    """One column of the treasurer's ageing schedule: how many invoices of that age, their
    sum, and those of them on the page shown."""

    label: str
    first_day: int
    #: None for the last, open-ended bucket
    last_day: int | None
    rows: list[Outstanding] = field(default_factory=list)
    count: int = 0
    #: whole rupiah still owed on every open invoice of this age
    amount: int = 0

    @property
    def outstanding_amount(self) -> int:
        return self.amount


@dataclass
class Ageing:
    """The buckets (over every open invoice) and one page of the invoices, oldest first."""

    buckets: list[AgeBucket]
    page: Page[Outstanding]

    def __iter__(self):
        return iter(self.buckets)


#: the ageing buckets of receivables (umur piutang) a treasurer reads, in days
AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))
#: the buckets' last days, the open-ended last one left out: an age's bucket is how many of
#: them it passes
_LAST_DAYS = tuple(last for _first, last in AGE_BUCKETS if last is not None)

#: open invoices on one page of the admin's invoices
INVOICES_PER_PAGE = 50


#: the open invoices, oldest first: the columns the list shows, one row each (built once;
#: a page is its offset and limit)
_OUTSTANDING = (
    select(
        GovInvoice.id,
        Document.number,
        GovInvoice.order_id,
        Institution.name,
        # as the database gives it: read through the column's type once per value (_issued)
        type_coerce(GovInvoice.issued_at, String),
        GovInvoice.payable_amount - GovInvoice.paid_amount,
    )
    .join(Document, Document.id == GovInvoice.document_id)
    .join(Order, Order.id == GovInvoice.order_id)
    .join(Quote, Quote.id == Order.quote_id)
    .join(Institution, Institution.id == Quote.institution_id)
    .where(GovInvoice.status == InvoiceStatus.OPEN.value)
    .order_by(GovInvoice.issued_at, GovInvoice.id)
)


@lru_cache(maxsize=4096)
def _issued(raw) -> tuple[dt.datetime, dt.date]:
    """An invoice's ``issued_at`` as the database gives it, read as its column reads it
    (``UTCDateTime``), and the day (WITA) it was issued: once per process (the same
    invoices are listed at each request)."""
    dialect = db.engine.dialect
    read = GovInvoice.__table__.c.issued_at.type.dialect_impl(dialect).result_processor(
        dialect, None
    )
    issued_at = read(raw) if read is not None else raw
    return issued_at, local_date(issued_at)


def outstanding_invoices(page: int = 1) -> Page[Outstanding]:
    """One page of the open invoices, oldest first, with how many days they have waited:
    the columns the list shows, one row each (made in one pass over the page's rows)."""
    today = today_local()
    found = paginate(_OUTSTANDING, page, INVOICES_PER_PAGE, rows=True)
    found.items = [
        Outstanding(
            invoice_id,
            number,
            order_number(order_id),
            institution_name,
            # the moment and the day (WITA) it was issued, then its whole days since
            *(issued := _issued(raw_issued_at)),
            amount,
            (today - issued[1]).days,
        )
        for invoice_id, number, order_id, institution_name, raw_issued_at, amount in found.items
    ]
    return found


def _on_or_after(today: dt.date, days: int) -> dt.datetime:
    """The first instant of the WITA day ``days`` before ``today``: an invoice issued from
    then on is at most ``days`` days old."""
    day = today - dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(), tzinfo=WITA).astimezone(dt.UTC)


#: an open invoice's bucket: the first whose last day its age does not pass, by the first
#: instant of its oldest day (bound at each request as ``since_<index>``)
_BUCKET_OF = case(
    *(
        (GovInvoice.issued_at >= bindparam(f"since_{index}"), index)
        for index, (_first, last) in enumerate(AGE_BUCKETS)
        if last is not None
    ),
    else_=len(AGE_BUCKETS) - 1,
)

#: each bucket's count and sum over every open invoice: built once, grouped by the bucket's
#: name (the expression written, and its instants bound, once rather than twice)
_BUCKET_SUMS = (
    select(
        _BUCKET_OF.label("bucket"),
        func.count(),
        func.sum(GovInvoice.payable_amount - GovInvoice.paid_amount),
    )
    .where(GovInvoice.status == InvoiceStatus.OPEN.value)
    .group_by(literal_column("bucket"))
)


def invoice_ageing(page: int = 1) -> Ageing:
    """The open invoices in their 0-30, 31-60, 61-90 and 90+ day buckets, each with its
    count and sum (one statement: the database places each open invoice in its bucket and
    sums them), and one page of them placed in their buckets."""
    buckets = [
        AgeBucket(f"{first}-{last}" if last is not None else f"{first - 1}+", first, last)
        for first, last in AGE_BUCKETS
    ]
    today = today_local()
    since = {
        f"since_{index}": _on_or_after(today, last)
        for index, (_first, last) in enumerate(AGE_BUCKETS)
        if last is not None
    }
    for index, count, amount in read_rows(_BUCKET_SUMS, since):
        buckets[index].count = int(count)
        buckets[index].amount = int(amount or 0)
    rows = outstanding_invoices(page)
    for row in rows:
        # the first bucket whose last day its age does not pass
        buckets[bisect_left(_LAST_DAYS, row.age_days)].rows.append(row)
    return Ageing(buckets, rows)
