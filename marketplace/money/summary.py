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

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import joinedload

from marketplace.db import db, local_date, today_local
from marketplace.money import accounts as payout_accounts
from marketplace.money import runs, statements
from marketplace.money.availability import auto_delivery_dates
from marketplace.money.banks import BANKS_BY_CODE, WALLETS, mask
from marketplace.money.models import (
    Account,
    PartComplaint,
    PartWaitingSum,
    Payout,
    PayoutMethod,
    PayoutStatus,
    SellerLedgerSum,
)
from marketplace.money.services import Balances, balances_of
from marketplace.orders.models import OrderPart, PartStatus

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
    in_transit: list[InTransit] = field(default_factory=list)
    paid_out: int = 0
    last_paid_on: dt.date | None = None

    @property
    def waiting_total(self) -> int:
        return sum(item.amount for item in self.waiting)

    @property
    def in_transit_total(self) -> int:
        return sum(item.amount for item in self.in_transit)


def sales_of(seller_id: int, month: dt.date | None = None) -> Sales:
    """The household's sales in one WITA month (its first day), or over all time, read from
    its running sums per account, month and kind (a sale's credit, a refund's leg, other)."""
    stmt = select(
        SellerLedgerSum.account, SellerLedgerSum.kind, func.sum(SellerLedgerSum.amount)
    ).where(SellerLedgerSum.seller_id == seller_id)
    if month is not None:
        stmt = stmt.where(SellerLedgerSum.month == month)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for account, kind, amount in db.session.execute(
        stmt.group_by(SellerLedgerSum.account, SellerLedgerSum.kind)
    ):
        if kind != "other":
            sums[(account, kind)] += int(amount or 0)
        sums[(account, "all")] += int(amount or 0)

    def total(account: Account, *, positive: bool | None = None, refund: bool | None = None):
        if positive and refund is False:
            return sums[(account.value, "sale")]
        if refund and positive is None:
            return sums[(account.value, "refund")]
        assert positive is None and refund is None, "a sum this reading does not keep"
        return sums[(account.value, "all")]

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


def _waiting(seller_id: int) -> list[Waiting]:
    """The household's pending money, grouped by why it waits and until when: only the
    parts whose money still waits are read (a running sum per part, kept not at zero)."""
    rows = db.session.execute(
        select(PartWaitingSum.order_part_id, PartWaitingSum.amount).where(
            PartWaitingSum.seller_id == seller_id,
            # a literal, so the partial index (``amount <> 0``) answers it on both databases
            PartWaitingSum.amount != literal_column("0"),
        )
    )
    amounts = {part_id: int(amount) for part_id, amount in rows}
    if not amounts:
        return []
    parts = list(
        db.session.scalars(
            select(OrderPart)
            .where(OrderPart.id.in_(list(amounts)))
            .options(joinedload(OrderPart.order))
        )
    )
    dates = auto_delivery_dates(parts)
    complained = set(
        db.session.scalars(
            select(PartComplaint.part_id).where(
                PartComplaint.part_id.in_(list(amounts)), PartComplaint.resolution.is_(None)
            )
        )
    )
    groups: dict[tuple[str, dt.date | None], int] = defaultdict(int)
    for part in parts:
        if part.id in complained:
            key: tuple[str, dt.date | None] = ("held", None)
        elif part.id in dates:
            key = ("shipped", local_date(dates[part.id]))
        elif part.status in NOT_SENT:
            key = ("not_sent", None)
        elif part.order.quote_id is not None:
            key = ("institution", None)
        else:
            key = ("not_sent", None)
        groups[key] += amounts[part.id]
    order = {"shipped": 0, "held": 1, "not_sent": 2, "institution": 3}
    return [
        Waiting(reason, amount, day)
        for (reason, day), amount in sorted(
            groups.items(), key=lambda item: (order[item[0][0]], item[0][1] or dt.date.min)
        )
    ]


def _destination(payout: Payout) -> str:
    """Where a payout goes, as it was when the run computed it, masked."""
    if payout.method == PayoutMethod.BANK.value:
        bank = BANKS_BY_CODE.get(payout.bank_code)
        return f"{bank.name if bank else payout.bank_code} {mask(payout.account_number)}"
    if payout.method == PayoutMethod.EWALLET.value:
        wallet = WALLETS.get(payout.wallet_provider, payout.wallet_provider)
        return f"{wallet} {mask(payout.wallet_number)}"
    return "Stripe"


def earnings_summary(
    seller_id: int, today: dt.date | None = None, balances: Balances | None = None
) -> EarningsSummary:
    """The household's earnings page, top part: this month, all time, and where its money is
    (``balances``: the household's, when the page has read them already)."""
    today = today or today_local()
    month = today.replace(day=1)
    balances = balances or balances_of(seller_id)
    account = payout_accounts.account_of(seller_id)
    payable = payout_accounts.is_payable(account)
    open_payouts = db.session.scalars(
        select(Payout)
        .where(Payout.seller_id == seller_id, Payout.status.in_(runs.OPEN))
        .order_by(Payout.period, Payout.id)
    )
    last_paid = db.session.scalar(
        select(func.max(Payout.settled_at)).where(
            Payout.seller_id == seller_id, Payout.status == PayoutStatus.PAID.value
        )
    )
    return EarningsSummary(
        month=month,
        this_month=sales_of(seller_id, month),
        all_time=sales_of(seller_id),
        waiting=_waiting(seller_id),
        available=balances.available,
        next_payout_on=(
            statements.next_run_date(today)
            if payable and balances.available >= runs.minimum_amount()
            else None
        ),
        in_transit=[
            InTransit(payout.amount, payout.period, _destination(payout)) for payout in open_payouts
        ],
        paid_out=balances.paid_out,
        last_paid_on=local_date(last_paid) if last_paid else None,
    )
