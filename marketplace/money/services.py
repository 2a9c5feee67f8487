"""The ledger and the commission: entries written with the state move that causes them.

Every function flushes and never commits. Entries are only ever inserted; a
balance is a sum of entries; a correction is a new event. An event key is per
order part, and writing an event that is already there changes nothing, so a
replayed webhook or a repeated call adds no money.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select

from marketplace.catalog.pricing import FULL_BP
from marketplace.db import db, read_rows
from marketplace.money import ledger_sums  # noqa: F401 (keeps the running sums with the entries)
from marketplace.money.models import Account, LedgerEntry, PartComplaint, SellerLedgerSum
from marketplace.orders.models import Order, OrderEvent, OrderPart, PartStatus, order_number
from marketplace.orders.signals import part_delivered
from marketplace.paging import Page, paginate

#: the platform's rate when no setting says otherwise: 500 basis points = 5%

Leg = tuple[Account, int]


# --- commission ---------------------------------------------------------------------------


def split_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split whole rupiah ``total`` in proportion to ``weights``; the shares add up exactly.

    Each share is floored, and the rupiah left over go one each to the largest
    remainders (ties to the earlier weight). A negative total splits like its
    opposite, negated.
    """
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if not weights or weight_sum == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("cannot split a non-zero total over zero weights")
    if total < 0:
        return [-share for share in split_largest_remainder(-total, weights)]
    shares = [total * weight // weight_sum for weight in weights]
    remainders = [total * weight % weight_sum for weight in weights]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def commission_split(items_amount: int, rate_bp: int) -> tuple[int, int]:
    """(commission, household share) of a part's goods; the two add up to the goods."""
    commission, share = split_largest_remainder(items_amount, [rate_bp, FULL_BP - rate_bp])
    return commission, share


# --- writing events -----------------------------------------------------------------------


def _event_exists(event_key: str) -> bool:
    return (
        db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.event_key == event_key))
        is not None
    )


def write_event(event_key: str, part: OrderPart, legs: Sequence[Leg]) -> bool:
    """Write one money event for one part; False (and nothing written) when it is there."""
    _check_sum(event_key, legs)
    accounts = [account for account, _ in legs]
    if len(set(accounts)) != len(accounts):
        raise ValueError(f"ledger event {event_key} names an account twice")
    return _write_legs(event_key, legs, seller_id=part.seller_id, order_part_id=part.id)


def write_seller_event(event_key: str, seller_id: int, legs: Sequence[Leg]) -> bool:
    """Write one money event of a household not tied to one part (a payout, a reversal)."""
    return _write_legs(event_key, legs, seller_id=seller_id)


def _check_sum(event_key: str, legs: Sequence[Leg]) -> None:
    if sum(amount for _, amount in legs) != 0:
        raise ValueError(f"ledger event {event_key} does not sum to zero")


def _write_legs(event_key: str, legs: Sequence[Leg], **owner: int) -> bool:
    """One event (``owner``: the entries' seller and part); see :func:`_write_events`."""
    return _write_events([(event_key, legs, owner)]) == 1


def _write_events(events: Sequence[tuple[str, Sequence[Leg], dict[str, int]]]) -> int:
    """The one place ledger entries are written: each event sums to zero and is written once
    (``(event_key, legs, owner)``, ``owner`` the entries' seller and part); how many were
    written. Several events go in one flush, so the running sums they move
    (``ledger_sums``) are taken in one order, households by id: two payments of the same
    households at once wait for each other instead of deadlocking on PostgreSQL."""
    for event_key, legs, _owner in events:
        _check_sum(event_key, legs)
    if not events:
        return 0
    keys = [event_key for event_key, _legs, _owner in events]
    there = set(
        db.session.scalars(select(LedgerEntry.event_key).where(LedgerEntry.event_key.in_(keys)))
    )
    written = 0
    for event_key, legs, owner in events:
        if event_key in there:
            continue
        for account, amount in legs:
            if amount:
                db.session.add(
                    LedgerEntry(event_key=event_key, account=account.value, amount=amount, **owner)
                )
        written += 1
    if written:
        # The unique (event_key, account) refuses a concurrent twin here.
        db.session.flush()
    return written


def part_sums(part_id: int) -> dict[str, int]:
    """The ledger of one order part, summed per account."""
    rows = read_rows(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.order_part_id == part_id)
        .group_by(LedgerEntry.account)
    )
    return {account: int(total) for account, total in rows}


def record_payment_entries(order: Order) -> int:
    """The order is paid: per part, goods minus commission pending for the household,
    commission to the platform, shipping pending for the household (it pays the courier),
    and a voucher's discount paid by the platform. A household's own promotion needs no
    leg: its goods were sold for less (``OrderLine.list_price_amount`` keeps the price before).

    Returns how many events were written (0 when they already were).
    """
    events: list[tuple[str, Sequence[Leg], dict[str, int]]] = []
    for part in order.parts:
        if part.status == PartStatus.CANCELLED.value:
            continue
        commission, share = commission_split(part.items_amount, part.commission_rate_bp)
        # A voucher's discount is the platform's (the PKK's campaigns too): the buyer paid
        # that much less, and the household's share is counted on its whole goods.
        legs: list[Leg] = [
            (
                Account.BUYER_FUNDS,
                -(part.items_amount + part.shipping_amount - part.discount_amount),
            ),
            (Account.PLATFORM_VOUCHERS, -part.discount_amount),
            (Account.PLATFORM_COMMISSION, commission),
            (Account.SELLER_PENDING, share),
            (Account.SHIPPING, part.shipping_amount),
        ]
        owner = {"seller_id": part.seller_id, "order_part_id": part.id}
        events.append((f"part-{part.id}-paid", legs, owner))
    # Every household's event in one flush: their running sums are taken in one order.
    return _write_events(events)


def record_fee_entries(payment_id: int, fee: int) -> bool:
    """What the payment provider kept of a payment: the platform's cost, an event of its
    own (``payment-N-fee``) on no household, out of the platform's commission."""
    legs: list[Leg] = [(Account.PAYMENT_FEES, fee), (Account.PLATFORM_COMMISSION, -fee)]
    return _write_legs(f"payment-{payment_id}-fee", legs)


def has_open_complaint(part_id: int) -> bool:
    """A buyer reported a problem with the part and no admin has settled it yet."""
    return (
        db.session.scalar(
            select(PartComplaint.id).where(
                PartComplaint.part_id == part_id, PartComplaint.resolution.is_(None)
            )
        )
        is not None
    )


def make_part_available(part: OrderPart, event_key: str, *, advance: bool = False) -> bool:
    """What is pending for the part (share and shipping) becomes available for payouts.

    The one door to ``seller_available`` for a part's money: delivery, the availability
    timer, a government BAST or SP2D and a released complaint all come through here, so
    money under an open complaint stays held whichever path asks. With ``advance`` the
    platform funds it ahead of the treasury (a government order).
    """
    if has_open_complaint(part.id):
        return False
    sums = part_sums(part.id)
    pending = sums.get(Account.SELLER_PENDING.value, 0)
    shipping = sums.get(Account.SHIPPING.value, 0)
    amount = pending + shipping
    if amount <= 0:
        return False
    legs: list[Leg] = [
        (Account.SELLER_PENDING, -pending),
        (Account.SHIPPING, -shipping),
        (Account.SELLER_AVAILABLE, amount),
    ]
    if advance:
        # The platform now carries this much of the treasury's debt itself.
        legs += [(Account.GOVERNMENT_RECEIVABLE, amount), (Account.PLATFORM_ADVANCE, -amount)]
    return write_event(event_key, part, legs)


def record_delivery_entries(part: OrderPart) -> bool:
    """The part is delivered: its money becomes available, unless a complaint holds it."""
    return make_part_available(part, f"part-{part.id}-delivered")


@part_delivered.connect
def _make_delivered_share_available(part: OrderPart) -> None:
    record_delivery_entries(part)


def record_refund_entries(refund_id: int, part_id: int | None, amount: int) -> bool:
    """Money given back for a part reverses its entries, in proportion to what is left of
    them: the household's share and shipping (pending before delivery, available after
    it) and the commission. Once the part was shipped its shipping is never taken back
    (the household paid the courier): only the share and the commission are.

    Refunds of a whole payment (a duplicate, a late payment without stock) never
    reached the ledger, so they write nothing.
    """
    if part_id is None:
        return False
    part = db.session.get(OrderPart, part_id)
    if part is None or not _event_exists(f"part-{part.id}-paid"):
        return False
    sums = part_sums(part.id)
    shipped = bool(shipped_part_ids([part.id]))
    delivered_key = f"part-{part.id}-delivered"
    if _event_exists(delivered_key):
        accounts = [Account.SELLER_AVAILABLE, Account.PLATFORM_COMMISSION]
        # Shipping made available with the share stays the household's once shipped.
        kept = -_event_leg(delivered_key, Account.SHIPPING) if shipped else 0
        left = [max(sums.get(Account.SELLER_AVAILABLE.value, 0) - kept, 0)]
        left.append(max(sums.get(Account.PLATFORM_COMMISSION.value, 0), 0))
    else:
        accounts = [Account.SELLER_PENDING, Account.PLATFORM_COMMISSION]
        if not shipped:
            accounts.insert(1, Account.SHIPPING)
        left = [max(sums.get(account.value, 0), 0) for account in accounts]
    if sum(left) == 0:
        written = False
    else:
        # A voucher's discount goes back to the platform with the buyer's money, in
        # proportion: a part given back whole leaves the household nothing of it.
        voucher = _voucher_back(part, int(amount), -sums.get(Account.PLATFORM_VOUCHERS.value, 0))
        # Never more than is left for the part (the refund rules cap it too).
        total = min(int(amount) + voucher, sum(left))
        back = split_largest_remainder(total, left)
        to_buyer = min(int(amount), total)
        legs: list[Leg] = [
            (Account.REFUNDS, to_buyer),
            (Account.PLATFORM_VOUCHERS, total - to_buyer),
        ]
        legs += [(account, -share) for account, share in zip(accounts, back, strict=True)]
        written = write_event(f"refund-{refund_id}", part, legs)
    if shipped and part.status == PartStatus.CANCELLED.value:
        # Cancelled after shipping: the goods went back, the courier was paid.
        make_part_available(part, delivered_key)
    return written


def _voucher_back(part: OrderPart, amount: int, voucher_left: int) -> int:
    """The part of a voucher's discount that goes back to the platform with a refund of
    ``amount``: in proportion to what the buyer paid for the part, at most what is left."""
    paid = part.items_amount + part.shipping_amount - part.discount_amount
    if voucher_left <= 0 or paid <= 0:
        return 0
    return min(voucher_left, part.discount_amount * amount // paid)


def shipped_part_ids(part_ids: Sequence[int]) -> set[int]:
    """The parts among ``part_ids`` that were handed to a courier (their shipping is spent)."""
    if not part_ids:
        return set()
    return set(
        db.session.scalars(
            select(OrderEvent.part_id).where(
                OrderEvent.part_id.in_(list(part_ids)),
                OrderEvent.to_status == PartStatus.SHIPPED.value,
            )
        )
    )


def _event_leg(event_key: str, account: Account) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.event_key == event_key, LedgerEntry.account == account.value
            )
        )
    )


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balances:
    pending: int
    available: int
    paid_out: int
    #: in a payout the bank or Stripe has not confirmed yet
    in_transit: int = 0


def balances_of(seller_id: int) -> Balances:
    """The household's balances, from its running sums (a few rows per month, however many
    entries; ``ledger_sums`` keeps them with the entries and checks them against them)."""
    rows = read_rows(
        select(SellerLedgerSum.account, func.sum(SellerLedgerSum.amount))
        .where(SellerLedgerSum.seller_id == seller_id)
        .group_by(SellerLedgerSum.account)
    )
    return balances_from({account: int(total) for account, total in rows})


def balances_from(sums: dict[str, int]) -> Balances:
    """The balances of a household's sums per account."""
    return Balances(
        pending=sums.get(Account.SELLER_PENDING.value, 0) + sums.get(Account.SHIPPING.value, 0),
        available=sums.get(Account.SELLER_AVAILABLE.value, 0),
        paid_out=sums.get(Account.SELLER_PAID_OUT.value, 0),
        in_transit=sums.get(Account.PAYOUTS_IN_TRANSIT.value, 0),
    )


@dataclass(frozen=True, slots=True)
class PartRow:
    """An order part as the earnings page shows it: the columns it reads, one row each."""

    id: int
    order_id: int
    status: str
    items_amount: int
    shipping_amount: int
    commission_rate_bp: int
    #: the quotation of a government order (None: a public order)
    quote_id: int | None

    @property
    def number(self) -> str:
        return order_number(self.order_id)


#: the accounts of what the household has from a part now: share and shipping, net of refunds
_EARNED_ACCOUNTS = tuple(
    account.value
    for account in (
        Account.SELLER_PENDING,
        Account.SHIPPING,
        Account.SELLER_AVAILABLE,
        Account.SELLER_PAID_OUT,
    )
)
_COMMISSION_ACCOUNT = Account.PLATFORM_COMMISSION.value
_REFUNDS_ACCOUNT = Account.REFUNDS.value


@dataclass
class PartEarnings:
    """One order part as its household sees its money."""

    part: PartRow
    #: (account, amount) of each of its entries of the household, oldest first
    entries: list[tuple[str, int]] = field(default_factory=list)
    #: the entries summed per account, once
    sums: dict[str, int] = field(init=False, repr=False)
    #: the platform's commission
    commission: int = field(init=False)
    #: what the household has from this part now: share and shipping, net of refunds
    earned: int = field(init=False)
    #: what went back to the buyer
    refunded: int = field(init=False)

    def __post_init__(self) -> None:
        sums: dict[str, int] = {}
        for account, amount in self.entries:
            sums[account] = sums.get(account, 0) + amount
        self.sums = sums
        # summed once here: a page writes each of them
        self.commission = sums.get(_COMMISSION_ACCOUNT, 0)
        self.earned = sum([sums.get(account, 0) for account in _EARNED_ACCOUNTS])
        self.refunded = sums.get(_REFUNDS_ACCOUNT, 0)


#: order parts on one page of the household's earnings (their ledger detail is folded away)
EARNINGS_PER_PAGE = 20


#: a household's parts that have ledger entries, newest first (rows of the columns the page
#: shows, not parts and orders): built once, a page is its offset and limit
_PART_EARNINGS = (
    select(
        OrderPart.id,
        OrderPart.order_id,
        OrderPart.status,
        OrderPart.items_amount,
        OrderPart.shipping_amount,
        OrderPart.commission_rate_bp,
        Order.quote_id,
    )
    .join(Order, Order.id == OrderPart.order_id)
    .where(
        OrderPart.seller_id == bindparam("seller_id"),
        select(LedgerEntry.id).where(LedgerEntry.order_part_id == OrderPart.id).exists(),
    )
    .order_by(OrderPart.id.desc())
)

#: the entries of a page's parts. By part only, so the part's index answers (20 parts'
#: entries): with the household in the condition, SQLite walks every entry of the household
#: instead. Only what the page shows and sums (account, amount): rows, not entries. Oldest
#: first within each part, in the order of that index (no sort of the page's entries).
_PART_ENTRIES = (
    select(
        LedgerEntry.order_part_id,
        LedgerEntry.seller_id,
        LedgerEntry.account,
        LedgerEntry.amount,
    )
    .where(LedgerEntry.order_part_id.in_(bindparam("parts", expanding=True)))
    .order_by(LedgerEntry.order_part_id, LedgerEntry.id)
)


def list_part_earnings(seller_id: int, page: int = 1) -> Page[PartEarnings]:
    """One page of a household's parts that have ledger entries, newest first, with them
    (rows of the columns the page shows, not parts and orders)."""
    parts = paginate(
        _PART_EARNINGS,
        page,
        EARNINGS_PER_PAGE,
        rows=True,
        each=lambda row: PartRow(*row),
        params={"seller_id": seller_id},
    )
    by_part: dict[int, list] = defaultdict(list)
    if parts.items:
        entries = read_rows(_PART_ENTRIES, {"parts": [part.id for part in parts]}).all()
        for part_id, entry_seller_id, account, amount in entries:
            if entry_seller_id == seller_id:
                by_part[part_id].append((account, amount))
    parts.items = [PartEarnings(part, by_part[part.id]) for part in parts]
    return parts
