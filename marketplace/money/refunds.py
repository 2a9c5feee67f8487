"""What an admin gives back: a whole part (cancelled, stock back), a whole order, or part
of a household's share with a reason (money only).

And what the buyer gives up: one household's part before it ships.

Every function flushes and never commits. Each first reads the order's payment row
``FOR UPDATE`` (:func:`~marketplace.money.payments.lock_payment`), so two admins, a
double click, or a buyer cancelling while an admin refunds the same part wait for each
other on PostgreSQL and see each other's refunds; on SQLite the unit of work holds the
write lock from its BEGIN. Money of a part goes back only through
:func:`~marketplace.money.payments.give_back_part`, which never gives back more than
is left of the part's share. Each refund carries an idempotency key, writes its ledger
reversal (``payouts.record_refund_entries``, through ``queue_refund``) and an order
event (who, when, why); the caller sends the refunds to the gateway after its commit
(:func:`marketplace.money.payment_units.issue_refunds`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from marketplace.db import db
from marketplace.errors import MarketplaceError, clean_reason
from marketplace.money.models import Payment, PaymentStatus, Refund, RefundReason
from marketplace.money.payments import (
    PaymentError,
    give_back_part,
    lock_payment,
    parts_left,
    record_refund,
)
from marketplace.money.services import split_largest_remainder
from marketplace.orders import inbox, lifecycle, notes
from marketplace.orders.messages import notify_refund
from marketplace.orders.models import Order, OrderPart, PartStatus
from marketplace.payments.gateway import GatewayRefund

log = logging.getLogger(__name__)

MAX_REASON = 250

#: what the admin page can do
ACTIONS = ("cancel_part", "refund_order", "partial")


class NothingToRefund(MarketplaceError):
    """Already done: the part is cancelled and refunded, or nothing is left to give back."""

    status_code = 409


class GovernmentOrderRefund(MarketplaceError):
    """A protocol office's order is not refunded here: its BAST, invoice and kwitansi are
    in the office's spending report (SPJ), so a correction is a new document."""

    status_code = 409


@dataclass
class RefundOutcome:
    refunds: list[Refund] = field(default_factory=list)
    #: parts cancelled by this action (their stock went back)
    cancelled: list[OrderPart] = field(default_factory=list)
    #: delivered parts that got their money back without cancelling
    money_only: list[OrderPart] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return sum(refund.amount for refund in self.refunds)

    @property
    def refund_ids(self) -> list[int]:
        return [refund.id for refund in self.refunds]


def _locked_payment(order_id: int) -> Payment:
    # A payment given back in full stays locked too: a click that waited for the one that
    # refunded everything finds it here, instead of no payment at all.
    payment = lock_payment(order_id)
    if payment is None:
        raise PaymentError(_l("Pesanan ini tidak punya pembayaran yang bisa dikembalikan."))
    if payment.order.quote_id is not None:
        # Paid by the office's card only after the BAST: a refund would make the issued
        # invoice and kwitansi untrue. See README, "Government orders".
        raise GovernmentOrderRefund(
            _l(
                "Pesanan instansi tidak dapat dikembalikan dananya di sini: BAST, tagihan dan "
                "kwitansinya sudah terbit dan masuk SPJ instansi. Buat koreksi dokumen di "
                "pesanan instansi, lalu catat pengembalian ke kas negara secara terpisah."
            )
        )
    if payment.status == PaymentStatus.REFUNDED.value:
        raise NothingToRefund(_l("Pembayaran pesanan ini sudah dikembalikan seluruhnya."))
    return payment


def _part(order_id: int, part_id: int | None) -> OrderPart:
    part = db.session.get(OrderPart, part_id) if part_id is not None else None
    if part is None or part.order_id != order_id:
        raise PaymentError(_l("Pilih bagian pesanan."), field="part_id")
    return part


def _clean_reason(reason: str, *, required: bool) -> str:
    return clean_reason(
        reason,
        maximum=MAX_REASON,
        missing=_l("Tulis alasan pengembalian dana."),
        error=PaymentError,
        required=required,
    )


def _cancel_and_refund(
    payment: Payment, part: OrderPart, outcome: RefundOutcome, *, actor_id: int, reason: str
) -> None:
    if not lifecycle.cancel_part_by_admin(part, actor_id=actor_id, note=reason):
        return
    outcome.cancelled.append(part)
    _refund_cancelled_part(payment, part, outcome, actor_id=actor_id, note=reason)


def cancel_part(order_id: int, part_id: int | None, *, actor_id: int, reason: str) -> RefundOutcome:
    """Cancel one household's part that was not delivered and give back all that is left."""
    payment = _locked_payment(order_id)
    part = _part(order_id, part_id)
    reason = _clean_reason(reason, required=False)
    if part.status == PartStatus.DELIVERED.value:
        raise PaymentError(
            _l(
                "Bagian ini sudah sampai, jadi tidak bisa dibatalkan; kembalikan sebagian "
                "dananya dengan alasan."
            ),
            field="part_id",
        )
    outcome = RefundOutcome()
    _cancel_and_refund(payment, part, outcome, actor_id=actor_id, reason=reason)
    if not outcome.cancelled:
        raise NothingToRefund(_l("Bagian ini sudah dibatalkan dan dananya dikembalikan."))
    _tell_buyer(payment.order, outcome, reason)
    return outcome


def refund_order(order_id: int, *, refund_key: str, actor_id: int, reason: str) -> RefundOutcome:
    """Give back a whole order: every part not yet delivered is cancelled (stock back);
    a delivered part gets what is left of its share back as money only."""
    payment = _locked_payment(order_id)
    order = payment.order
    reason = _clean_reason(reason, required=False)
    outcome = RefundOutcome()
    for part in order.parts:
        if part.status == PartStatus.CANCELLED.value:
            continue
        if part.status != PartStatus.DELIVERED.value:
            _cancel_and_refund(payment, part, outcome, actor_id=actor_id, reason=reason)
            continue
        refund = give_back_part(
            payment,
            part,
            None,
            RefundReason.ADMIN,
            f"admin-{refund_key[:50]}-part-{part.id}",
            actor_id=actor_id,
            note=notes.written(notes.MONEY_ONLY_BECAUSE, reason=reason)
            if reason
            else notes.written(notes.MONEY_ONLY),
        )
        if refund is None:
            continue
        outcome.refunds.append(refund)
        outcome.money_only.append(part)
    if not outcome.refunds and not outcome.cancelled:
        raise NothingToRefund(_l("Tidak ada lagi yang bisa dikembalikan dari pesanan ini."))
    _tell_buyer(order, outcome, reason)
    return outcome


def refund_partly(
    order_id: int,
    part_id: int | None,
    amount: int,
    *,
    refund_key: str,
    actor_id: int,
    reason: str,
) -> RefundOutcome:
    """Give back part of one household's share, with a reason; goods and stock stay."""
    payment = _locked_payment(order_id)
    if amount < 1:
        raise PaymentError(_l("Isi jumlah yang dikembalikan."), field="amount")
    part = _part(order_id, part_id)
    reason = _clean_reason(reason, required=True)
    refund = give_back_part(
        payment,
        part,
        amount,
        RefundReason.ADMIN,
        f"admin-{refund_key[:60]}",
        actor_id=actor_id,
        note=reason,
    )
    assert refund is not None  # an amount is given: refused above what is left, never None
    outcome = RefundOutcome(refunds=[refund])
    _tell_buyer(payment.order, outcome, reason)
    return outcome


def cancel_part_by_buyer(order_id: int, part_id: int, *, actor_id: int | None) -> RefundOutcome:
    """The buyer cancels one household's part before it is shipped: its stock goes back,
    and all that is left of its share (an admin may have given some back already)."""
    # The payment first, as every refund takes it: then the part (the admin's order too).
    payment = lock_payment(order_id)
    part = lifecycle.cancel_part_for_buyer(order_id, part_id, actor_id=actor_id)
    outcome = RefundOutcome(cancelled=[part])
    if payment is not None and payment.status == PaymentStatus.SUCCEEDED.value:
        _refund_cancelled_part(payment, part, outcome, actor_id=actor_id, actor_kind="buyer")
    return outcome


def decline_part_by_household(
    part_id: int, seller_id: int, *, actor_id: int, reason: str
) -> RefundOutcome:
    """The household cannot make a paid public part: it is cancelled with the reason, its
    stock goes back, and all that is left of it (goods and shipping) is refunded. The buyer
    is told by the cancellation's mail (``orders.messages``), reason included."""
    part = inbox.get_part_for_seller(part_id, seller_id)  # another household's: not found
    # The payment first, as every refund takes it: then the part.
    payment = lock_payment(part.order_id)
    lifecycle.decline_part_for_household(part, actor_id=actor_id, reason=reason)
    outcome = RefundOutcome(cancelled=[part])
    if payment is not None and payment.status == PaymentStatus.SUCCEEDED.value:
        _refund_cancelled_part(payment, part, outcome, actor_id=actor_id, actor_kind="seller")
    return outcome


def _refund_cancelled_part(
    payment: Payment,
    part: OrderPart,
    outcome: RefundOutcome,
    *,
    actor_id: int | None,
    actor_kind: str = "admin",
    note: str = "",
) -> None:
    """All that is left of a part just cancelled goes back. One key per part, whoever
    cancelled it (buyer, household, admin): a part is refunded in full once."""
    refund = give_back_part(
        payment,
        part,
        None,
        RefundReason.PART_CANCELLED,
        f"part-{part.id}-refund",
        actor_id=actor_id,
        actor_kind=actor_kind,
        note=note,
    )
    if refund is not None:
        outcome.refunds.append(refund)


def _tell_buyer(order: Order, outcome: RefundOutcome, reason: str) -> None:
    if outcome.amount:
        notify_refund(
            order,
            outcome.amount,
            about="refund-" + "-".join(str(refund.id) for refund in outcome.refunds),
            reason=reason,
            delivered_shops=[part.shop_name for part in outcome.money_only],
        )


# --- refunds made at the gateway, outside the app (Stripe's dashboard) ----------------------

#: the gateway states in which a refund's money has left the platform, to be recorded
RECORDED_STATES = ("succeeded", "pending")


def external_key(gateway_refund_id: str, part_id: int) -> str:
    """Our refund row's key for one part's slice of a refund made at the gateway."""
    return f"gateway-{gateway_refund_id}-part-{part_id}"


def gateway_refund_id(row: Refund) -> str:
    """The gateway's id of the refund a row records: its own, or the one its key names (a
    slice of a refund made at the gateway, see :func:`external_key`)."""
    if row.gateway_refund_id:
        return row.gateway_refund_id
    prefix, _, rest = row.idempotency_key.partition("-")
    if prefix == "gateway" and "-part-" in rest:
        return rest.rpartition("-part-")[0]
    return ""


def is_recorded(refund: GatewayRefund) -> bool:
    """The gateway's refund is one of ours (asked with our key, or already taken from it)."""
    ours = [
        Refund.gateway_refund_id == refund.id,
        Refund.idempotency_key.startswith(f"gateway-{refund.id}-part-", autoescape=True),
    ]
    if refund.idempotency_key:
        ours.append(Refund.idempotency_key == refund.idempotency_key)
    return db.session.scalar(select(Refund.id).where(or_(*ours)).limit(1)) is not None


#: why a refund made at the gateway is not in the ledger (keys of reconciliation's notes)
GOVERNMENT_CARD = "gov_card_refund"
MORE_THAN_LEFT = "refund_exceeds_left"
NOT_RECORDED = "unrecorded_refund"


def _payment_named(refund: GatewayRefund) -> Payment | None:
    payment_id = db.session.scalar(
        select(Payment.id).where(Payment.intent_id.in_(refund.payment_ids or ("",)))
    )
    return db.session.get(Payment, payment_id) if payment_id is not None else None


def _refusal(payment: Payment | None, amount: int) -> str | None:
    """Why a refund of ``amount`` made at the gateway cannot be booked on ``payment``.

    An office's card payment of a government invoice: its invoice and kwitansi are filed in
    the office's spending report, so only a correction document can change what it paid
    (README, "Gift boxes for protocol offices"). More than is left of the parts (shipping
    of a shipped part is the household's): booking it would take money the buyer is not
    owed from a household. Both are listed by reconciliation, never booked.
    """
    if payment is None:
        return NOT_RECORDED
    if payment.order.quote_id is not None:
        return GOVERNMENT_CARD
    if payment.status != PaymentStatus.SUCCEEDED.value:
        return NOT_RECORDED
    parts = [part for part in payment.order.parts if part.status != PartStatus.CANCELLED.value]
    lefts = parts_left(parts)
    if amount <= 0 or amount > sum(max(lefts[p.id], 0) for p in parts):
        return MORE_THAN_LEFT
    return None


def unrecorded_cause(refund: GatewayRefund) -> str:
    """Why a refund the gateway made is not in the ledger, for reconciliation: an office's
    card payment, more than is left, or (the webhook never came) not recorded yet."""
    return _refusal(_payment_named(refund), refund.amount) or NOT_RECORDED


def record_external_refund(refund: GatewayRefund) -> RefundOutcome | None:
    """A refund made at the gateway, not through the app, recorded once as the app's own
    would be: spread over the households' parts in proportion to what is left of each,
    each slice through :func:`give_back_part` (its share and the commission reversed,
    shipping of a shipped part kept), and marked given back at once.

    None when it is already recorded (our own refund's echo, a replay), not (yet) money
    given back, or cannot be recorded by the rules (:func:`_refusal`: a payment we do not
    know, a government order, more than is left): reconciliation lists those.
    """
    if refund.status not in RECORDED_STATES or is_recorded(refund):
        return None
    payment = _payment_named(refund)
    locked = lock_payment(payment.order_id) if payment is not None else None
    if locked is None or payment is None or locked.id != payment.id:
        log.warning("refund %s at the gateway names no payment to reverse here", refund.id)
        return None
    cause = _refusal(locked, refund.amount)
    if cause is not None:
        log.warning("refund %s at the gateway is not booked: %s", refund.id, cause)
        return None
    parts = [part for part in locked.order.parts if part.status != PartStatus.CANCELLED.value]
    lefts = parts_left(parts)
    slices = split_largest_remainder(refund.amount, [max(lefts[p.id], 0) for p in parts])
    note = str(
        _l("Dikembalikan di dasbor %(gateway)s (%(id)s)", gateway=refund.made_at, id=refund.id)
    )
    outcome = RefundOutcome()
    for part, amount in zip(parts, slices, strict=True):
        if amount <= 0:
            continue
        row = give_back_part(
            locked,
            part,
            amount,
            RefundReason.ADMIN,
            external_key(refund.id, part.id),
            actor_kind="system",
            note=note,
        )
        assert row is not None
        # The gateway has already given it back: nothing to send.
        record_refund(row.id, None)
        outcome.refunds.append(row)
    _tell_buyer(locked.order, outcome, "")
    return outcome
