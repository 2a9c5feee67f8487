"""What an admin gives back: a whole part (cancelled, stock back), a whole order, or part
of a household's share with a reason (money only).

Every function flushes and never commits. The order's payment row is read ``FOR
UPDATE`` first, so two admins (or a double click) refunding one order wait for each
other on PostgreSQL and see each other's refunds; on SQLite the unit of work holds
the write lock from its BEGIN. Each refund carries an idempotency key, writes its
ledger reversal (``payouts.record_refund_entries``, through ``queue_refund``) and an
order event (who, when, why); the caller sends the refunds to the gateway after its
commit (:func:`marketplace.payments.units.issue_refunds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.money import format_rupiah
from marketplace.orders import services as orders
from marketplace.orders.messages import notify_refund
from marketplace.orders.models import Order, OrderPart, PartStatus
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundReason
from marketplace.payments.services import PaymentError, queue_refund

MAX_REASON = 250

#: what the admin page can do
ACTIONS = ("cancel_part", "refund_order", "partial")


class NothingToRefund(MarketplaceError):
    """Already done: the part is cancelled and refunded, or nothing is left to give back."""

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
    payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order_id,
            Payment.status.in_([PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]),
        )
        .order_by(Payment.id)
        .limit(1)
        .with_for_update()
    )
    if payment is None:
        raise PaymentError(_l("Pesanan ini tidak punya pembayaran yang bisa dikembalikan."))
    if payment.status == PaymentStatus.REFUNDED.value:
        raise NothingToRefund(_l("Pembayaran pesanan ini sudah dikembalikan seluruhnya."))
    return payment


def _part(order_id: int, part_id: int | None) -> OrderPart:
    part = db.session.get(OrderPart, part_id) if part_id is not None else None
    if part is None or part.order_id != order_id:
        raise PaymentError(_l("Pilih bagian pesanan."), field="part_id")
    return part


def part_left(part: OrderPart) -> int:
    """What is left to give back of a part's share (goods and shipping), in whole rupiah."""
    given = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.part_id == part.id)
    )
    # int(): PostgreSQL sums BIGINT into NUMERIC
    return part.items_amount + part.shipping_amount - int(given or 0)


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = " ".join(reason.split())
    if required and not reason:
        raise PaymentError(_l("Tulis alasan pengembalian dana."), field="reason")
    if len(reason) > MAX_REASON:
        raise PaymentError(_l("Alasan paling banyak %(n)s karakter.", n=MAX_REASON), field="reason")
    return reason


def _cancel_and_refund(
    payment: Payment, part: OrderPart, outcome: RefundOutcome, *, actor_id: int, reason: str
) -> None:
    if not orders.cancel_part_by_admin(part, actor_id=actor_id, note=reason):
        return
    outcome.cancelled.append(part)
    left = part_left(part)
    if left > 0:
        # The same key as the buyer's own cancel: a part is refunded in full once.
        refund = queue_refund(
            payment,
            left,
            RefundReason.PART_CANCELLED,
            f"part-{part.id}-refund",
            part_id=part.id,
            created_by_id=actor_id,
        )
        orders.record_part_refund(part, left, actor_id=actor_id, note=reason)
        outcome.refunds.append(refund)


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
        left = part_left(part)
        if left <= 0:
            continue
        note = str(_l("sudah sampai: hanya dana yang dikembalikan"))
        refund = queue_refund(
            payment,
            left,
            RefundReason.ADMIN,
            f"admin-{refund_key[:50]}-part-{part.id}",
            part_id=part.id,
            created_by_id=actor_id,
        )
        orders.record_part_refund(
            part, left, actor_id=actor_id, note=f"{reason} ({note})" if reason else note
        )
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
    left = part_left(part)
    if amount > left:
        raise PaymentError(
            _l(
                "Jumlah pengembalian melebihi sisa bagian penjual ini (%(left)s).",
                left=format_rupiah(max(left, 0)),
            ),
            field="amount",
        )
    refund = queue_refund(
        payment,
        amount,
        RefundReason.ADMIN,
        f"admin-{refund_key[:60]}",
        part_id=part.id,
        created_by_id=actor_id,
    )
    orders.record_part_refund(part, amount, actor_id=actor_id, note=reason)
    outcome = RefundOutcome(refunds=[refund])
    _tell_buyer(payment.order, outcome, reason)
    return outcome


def _tell_buyer(order: Order, outcome: RefundOutcome, reason: str) -> None:
    if outcome.amount:
        notify_refund(
            order,
            outcome.amount,
            reason=reason,
            delivered_shops=[part.shop_name for part in outcome.money_only],
        )
