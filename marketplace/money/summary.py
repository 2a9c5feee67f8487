"""The household's money in plain words: what was sold, what the platform kept, what is
waiting, on its way and received, and when; all read from the ledger's running sums
(``ledger_sums``), never computed in a page, and at a cost that does not grow with the entries.

The figures of a period add up to what the household earned in it:
``sold - commission - pph22 + shipping - refunded``; over all time that is also
``waiting + available + in transit + paid out``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Row, bindparam, case, func, literal, literal_column, select
from sqlalchemy.orm import aliased

from marketplace.db import local_date, read_rows, today_local
from marketplace.money import accounts as payout_accounts
from marketplace.money import runs, statements
from marketplace.money.availability import delivery_dates_of
from marketplace.money.banks import BANKS_BY_CODE, WALLETS, mask
from marketplace.money.models import (
    Account,
    PartComplaint,
    PartWaitingSum,
    Payout,
    PayoutMethod,
    PayoutStatus,
    SellerLedgerSum,
    payout_number,
)
from marketplace.money.services import Balances, balances_from
from marketplace.orders.models import Order, OrderPart, PartStatus
from marketplace.paging import Page, paginate

#: parts still in the household's hands or on the buyer's way to fetch them
NOT_SENT = {
    PartStatus.PENDING.value,
    PartStatus.NEW.value,
    PartStatus.ACCEPTED.value,
    PartStatus.PRODUCED.value,
    PartStatus.PACKED.value,
    PartStatus.READY_FOR_PICKUP.value,
}


@dataclass(frozen=True)
class Sales:
    """What happened to the household's sales in a period, each a positive amount."""

    #: goods sold, before the platform's commission
    sold: int = 0
    #: the platform's commission, net of what refunds gave back
    commission: int = 0
    #: shipping paid by buyers to the household (it pays the courier)
    shipping: int = 0
    #: goods money given back to buyers (the household's share and the platform's cut)
    refunded: int = 0
    #: PPh 22 withheld by a treasurer on government orders
    pph22: int = 0

    @property
    def earned(self) -> int:
        return self.sold - self.commission - self.pph22 + self.shipping - self.refunded


@dataclass(frozen=True)
class Waiting:
    """Money of the household's parts waiting for one reason (and, shipped, one day)."""

    #: "shipped" (counts as received on ``available_on``), "held" (a buyer's complaint),
    #: "not_sent" (not shipped or fetched yet), "institution" (waiting for the treasury)
    reason: str
    amount: int
    available_on: dt.date | None = None


@dataclass(frozen=True)
class InTransit:
    """A payout the bank or Stripe has not confirmed yet."""

    amount: int
    #: the payout run's day: the day it was sent on its way
    sent_on: dt.date
    #: where it goes, masked: ``BRI ••••••6501``
    to: str


@dataclass(frozen=True)
class EarningsSummary:
    month: dt.date
    this_month: Sales
    all_time: Sales
    waiting: list[Waiting] = field(default_factory=list)
    #: may be negative after a refund that came after a payout
    available: int = 0
    #: the next run that will pay ``available`` (None: no payable account or too little)
    next_payout_on: dt.date | None = None
    #: the newest payouts in transit (at most ``IN_TRANSIT_SHOWN``), newest first
    in_transit: list[InTransit] = field(default_factory=list)
    #: every payout in transit: how many, and their sum
    in_transit_count: int = 0
    in_transit_total: int = 0
    paid_out: int = 0
    last_paid_on: dt.date | None = None
    balances: Balances = Balances(0, 0, 0)
    #: the payout account as ``accounts.account_shown_of`` reads it (None: none yet)
    account: Row | None = None
    #: the account is verified (and Stripe pays out): the next run may pay it
    payable: bool = False
    #: the household's ledger has entries: there are orders' shares to list
    has_entries: bool = False

    @property
    def waiting_total(self) -> int:
        return sum(item.amount for item in self.waiting)


#: the payouts in transit the page names one by one (the newest); the others are counted
IN_TRANSIT_SHOWN = 5

SumsByKind = dict[tuple[str, str], int]


def _sales(sums: SumsByKind) -> Sales:
    """A period's sales from its sums per (account, kind)."""

    def total(account: Account, *, positive: bool | None = None, refund: bool | None = None):
        if positive and refund is False:
            return sums.get((account.value, "sale"), 0)
        if refund and positive is None:
            return sums.get((account.value, "refund"), 0)
        assert positive is None and refund is None, "a sum this reading does not keep"
        return sums.get((account.value, "all"), 0)

    # Only a sale (paid, or a BAST) credits pending and commission; every later move of
    # the household's money (delivery, payout, refund) is a debit of one of them.
    return Sales(
        sold=total(Account.SELLER_PENDING, positive=True, refund=False)
        + total(Account.PLATFORM_COMMISSION, positive=True, refund=False)
        + total(Account.GOVERNMENT_PPH22, positive=True, refund=False),
        commission=total(Account.PLATFORM_COMMISSION),
        shipping=total(Account.SHIPPING, positive=True, refund=False)
        + total(Account.SHIPPING, refund=True),
        # What a refund took back from the household and from the platform's cut (whose
        # net is above); the shipping it gave back is out of ``shipping`` already.
        refunded=-(
            total(Account.SELLER_PENDING, refund=True)
            + total(Account.SELLER_AVAILABLE, refund=True)
            + total(Account.PLATFORM_COMMISSION, refund=True)
        ),
        pph22=total(Account.GOVERNMENT_PPH22, positive=True, refund=False),
    )


def _add(sums: SumsByKind, account: str, kind: str, amount: int) -> None:
    if kind != "other":
        sums[(account, kind)] = sums.get((account, kind), 0) + amount
    sums[(account, "all")] = sums.get((account, "all"), 0) + amount


def sales_of(seller_id: int, month: dt.date | None = None) -> Sales:
    """The household's sales in one WITA month (its first day), or over all time, read from
    its running sums per account, month and kind (a sale's credit, a refund's leg, other)."""
    stmt = select(
        SellerLedgerSum.account, SellerLedgerSum.kind, func.sum(SellerLedgerSum.amount)
    ).where(SellerLedgerSum.seller_id == seller_id)
    if month is not None:
        stmt = stmt.where(SellerLedgerSum.month == month)
    sums: SumsByKind = {}
    for account, kind, amount in read_rows(
        stmt.group_by(SellerLedgerSum.account, SellerLedgerSum.kind)
    ):
        _add(sums, account, kind, int(amount or 0))
    return _sales(sums)


#: a sum's amount if it is of the month, else nothing
_IN_MONTH = case((SellerLedgerSum.month == bindparam("month"), SellerLedgerSum.amount), else_=0)

#: when a household's last payout was paid
_LAST_PAID = (
    select(func.max(Payout.settled_at))
    .where(Payout.seller_id == bindparam("seller_id"), Payout.status == PayoutStatus.PAID.value)
    .scalar_subquery()
)

#: a household's running sums per account and kind, over all time and in the month, each
#: row with when its last payout was paid (a paid payout has its sums: no sums, no payout):
#: grouped in the order of ``ix_seller_ledger_sums_account_kind``, which holds every column
#: read, so the database reads the index alone and sorts nothing: built once
_SUMS = (
    select(
        SellerLedgerSum.account,
        SellerLedgerSum.kind,
        func.sum(SellerLedgerSum.amount),
        func.sum(_IN_MONTH),
        _LAST_PAID,
    )
    .where(SellerLedgerSum.seller_id == bindparam("seller_id"))
    .group_by(SellerLedgerSum.account, SellerLedgerSum.kind)
)


def _sums_of(
    seller_id: int, month: dt.date
) -> tuple[Balances, Sales, Sales, dt.datetime | None, bool]:
    """(balances, the month's sales, all time's sales, when the last payout was paid, whether
    it has any) of the household, from one reading of its running sums: per account and
    kind, over all time and in the month."""
    rows = read_rows(_SUMS, {"seller_id": seller_id, "month": month}).all()
    this_month: SumsByKind = {}
    all_time: SumsByKind = {}
    for account, kind, amount, month_amount, _last_paid in rows:
        _add(all_time, account, kind, int(amount or 0))
        _add(this_month, account, kind, int(month_amount or 0))
    per_account = {account: amount for (account, kind), amount in all_time.items() if kind == "all"}
    last_paid = rows[0][4] if rows else None
    return balances_from(per_account), _sales(this_month), _sales(all_time), last_paid, bool(rows)


#: a household's parts whose money still waits, each with its status, its order's quote
#: and whether a complaint holds it: built once
_WAITING = (
    select(
        PartWaitingSum.order_part_id,
        PartWaitingSum.amount,
        OrderPart.status,
        Order.quote_id,
        select(PartComplaint.id)
        .where(
            PartComplaint.part_id == PartWaitingSum.order_part_id,
            PartComplaint.resolution.is_(None),
        )
        .exists(),
    )
    .join(OrderPart, OrderPart.id == PartWaitingSum.order_part_id)
    .join(Order, Order.id == OrderPart.order_id)
    .where(
        PartWaitingSum.seller_id == bindparam("seller_id"),
        # a literal, so the partial index (``amount <> 0``) answers it on both databases
        PartWaitingSum.amount != literal_column("0"),
    )
)


def _waiting(seller_id: int) -> list[Waiting]:
    """The household's pending money, grouped by why it waits and until when: only the
    parts whose money still waits are read (a running sum per part, kept not at zero),
    each with its status, its order's quote and whether a complaint holds it."""
    rows = read_rows(_WAITING, {"seller_id": seller_id}).all()
    if not rows:
        return []
    dates = delivery_dates_of(
        [row[0] for row in rows if row[2] == PartStatus.SHIPPED.value and not row[4]]
    )
    groups: dict[tuple[str, dt.date | None], int] = defaultdict(int)
    for part_id, amount, status, quote_id, is_held in rows:
        if is_held:
            key: tuple[str, dt.date | None] = ("held", None)
        elif part_id in dates:
            key = ("shipped", local_date(dates[part_id]))
        elif status in NOT_SENT:
            key = ("not_sent", None)
        elif quote_id is not None:
            key = ("institution", None)
        else:
            key = ("not_sent", None)
        groups[key] += int(amount)
    order = {"shipped": 0, "held": 1, "not_sent": 2, "institution": 3}
    return [
        Waiting(reason, amount, day)
        for (reason, day), amount in sorted(
            groups.items(), key=lambda item: (order[item[0][0]], item[0][1] or dt.date.min)
        )
    ]


def _destination(method: str, bank_code: str, account_number: str, provider: str, wallet: str):
    """Where a payout goes, as it was when the run computed it, masked."""
    if method == PayoutMethod.BANK.value:
        bank = BANKS_BY_CODE.get(bank_code)
        return f"{bank.name if bank else bank_code} {mask(account_number)}"
    if method == PayoutMethod.EWALLET.value:
        return f"{WALLETS.get(provider, provider)} {mask(wallet)}"
    return "Stripe"


def _open_payouts(payout=Payout) -> tuple:
    """The conditions of a household's payouts in transit (``payout``: the table or an
    alias). The statuses are bound one by one: a list given to ``in_`` is expanded again
    at every run."""
    return (
        payout.seller_id == bindparam("seller_id"),
        payout.status.in_([literal(status) for status in runs.OPEN]),
    )


_EVERY_OPEN = aliased(Payout)

#: a household's newest payouts in transit, each row with the count and sum of all of them
#: (two subqueries the database works out once: cheaper than a window over every open
#: payout, which must be read and numbered before the newest are taken): built once
_IN_TRANSIT = (
    select(
        Payout.amount,
        Payout.period,
        Payout.method,
        Payout.bank_code,
        Payout.account_number,
        Payout.wallet_provider,
        Payout.wallet_number,
        select(func.count(_EVERY_OPEN.id)).where(*_open_payouts(_EVERY_OPEN)).scalar_subquery(),
        select(func.sum(_EVERY_OPEN.amount)).where(*_open_payouts(_EVERY_OPEN)).scalar_subquery(),
    )
    .where(*_open_payouts())
    .order_by(Payout.period.desc(), Payout.id.desc())
    .limit(IN_TRANSIT_SHOWN)
)


def _payouts(seller_id: int) -> tuple[int, int, list[InTransit]]:
    """(how many payouts are in transit, their sum, the newest ``IN_TRANSIT_SHOWN`` of
    them): the newest, each with the count and sum of all of them (none: no rows)."""
    rows = read_rows(_IN_TRANSIT, {"seller_id": seller_id}).all()
    shown = [InTransit(row[0], row[1], _destination(*row[2:7])) for row in rows]
    count, total = (int(rows[0][7]), int(rows[0][8])) if rows else (0, 0)
    return count, total, shown


def earnings_summary(seller_id: int, today: dt.date | None = None) -> EarningsSummary:
    """The household's earnings page, top part: this month, all time, where its money is,
    and its payout account."""
    today = today or today_local()
    month = today.replace(day=1)
    balances, this_month, all_time, last_paid, has_entries = _sums_of(seller_id, month)
    account = payout_accounts.account_shown_of(seller_id)
    payable = payout_accounts.is_payable(account)
    count, total, shown = _payouts(seller_id)
    return EarningsSummary(
        month=month,
        this_month=this_month,
        all_time=all_time,
        waiting=_waiting(seller_id),
        available=balances.available,
        next_payout_on=(
            statements.next_run_date(today)
            if payable and balances.available >= runs.minimum_amount()
            else None
        ),
        in_transit=shown,
        in_transit_count=count,
        in_transit_total=total,
        paid_out=balances.paid_out,
        last_paid_on=local_date(last_paid) if last_paid else None,
        balances=balances,
        account=account,
        payable=payable,
        has_entries=has_entries,
    )


@dataclass(frozen=True, slots=True)
class SellerPayout:
    """One of the household's payouts as its list shows it."""

    id: int
    #: the payout run's day: the day it was sent on its way
    sent_on: dt.date
    amount: int
    status: str
    #: where it goes, masked: ``BRI ••••••6501``
    to: str

    @property
    def number(self) -> str:
        return payout_number(self.id)


#: payouts on one page of the household's payouts
SELLER_PAYOUTS_PER_PAGE = 50


def list_payouts_of(seller_id: int, page: int = 1) -> Page[SellerPayout]:
    """One page of the household's payouts, newest first (rows of the columns shown)."""
    return paginate(
        select(
            Payout.id,
            Payout.period,
            Payout.amount,
            Payout.status,
            Payout.method,
            Payout.bank_code,
            Payout.account_number,
            Payout.wallet_provider,
            Payout.wallet_number,
        )
        .where(Payout.seller_id == seller_id)
        .order_by(Payout.period.desc(), Payout.id.desc()),
        page,
        SELLER_PAYOUTS_PER_PAGE,
        rows=True,
        each=lambda row: SellerPayout(*row[:4], _destination(*row[4:])),
    )
