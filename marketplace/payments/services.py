"""Payments for orders: start one, record what the gateway says, refund what must go back.

Functions flush and never commit. Gateway calls that follow a state change (a
refund) are not made here: :func:`record_intent` returns the payments to refund
and the caller refunds them after its commit, with :func:`refund_payment`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.orders import services as orders
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.gateway import GatewayError, Intent, PaymentGateway
from marketplace.payments.models import Payment, PaymentStatus, WebhookEvent

log = logging.getLogger(__name__)

HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


class PaymentError(MarketplaceError):
    pass


def _attempt_key(order_id: int, attempt: int) -> str:
    return f"order-{order_id}-attempt-{attempt}"


@dataclass(frozen=True)
class NewAttempt:
    """What the gateway needs to open a payment: read first, created outside any lock."""

    order_id: int
    amount: int
    email: str
    idempotency_key: str


def pending_payment(order_id: int) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING.value)
        .order_by(Payment.id.desc())
    )


def next_attempt(order_id: int) -> NewAttempt:
    """The next payment attempt of an order awaiting payment.

    The idempotency key is derived from the order and the attempt number, so a
    reload, a retry or a second tab asks the gateway for the same intent, and the
    unique key refuses a second row for it.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise PaymentError(_l("Pesanan tidak ditemukan."))
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        raise PaymentError(_l("Pesanan ini tidak menunggu pembayaran lagi."))
    attempts = db.session.scalar(
        select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
    )
    return NewAttempt(
        order_id=order_id,
        amount=order.total_amount,
        email=order.contact_email,
        idempotency_key=_attempt_key(order_id, attempts + 1),
    )


def create_intent(attempt: NewAttempt, gateway: PaymentGateway) -> Intent:
    """Ask the gateway for the intent; call it with no transaction open."""
    try:
        return gateway.create_intent(
            amount=attempt.amount,
            order_id=attempt.order_id,
            email=attempt.email,
            idempotency_key=attempt.idempotency_key,
        )
    except GatewayError as error:
        log.warning("payment gateway refused order %s: %s", attempt.order_id, error)
        raise PaymentError(_l("Pembayaran belum bisa dimulai. Coba lagi sebentar lagi.")) from error


def record_payment(attempt: NewAttempt, intent: Intent, gateway_name: str) -> Payment:
    """Keep the opened intent; a twin with the same key fails at the flush."""
    payment = Payment(
        order_id=attempt.order_id,
        gateway=gateway_name,
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount=attempt.amount,
        idempotency_key=attempt.idempotency_key,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def open_payment(order_id: int, gateway: PaymentGateway) -> Payment:
    """All of the above in the caller's transaction (tests, scripts); views split it."""
    if payment := pending_payment(order_id):
        return payment
    attempt = next_attempt(order_id)
    return record_payment(attempt, create_intent(attempt, gateway), gateway.name)


def record_intent(intent: Intent) -> list[int]:
    """Apply what the gateway says about a payment; the same news twice changes nothing.

    Returns the ids of payments to refund after the commit: money that arrived for
    an order whose stock was gone, or a second payment for an order already paid.
    """
    payment = db.session.scalar(select(Payment).where(Payment.intent_id == intent.id))
    if payment is None:
        log.info("ignoring unknown payment %s", intent.id)
        return []
    if not intent.succeeded:
        if intent.status in ("requires_payment_method", "canceled"):
            _move_payment(payment, PaymentStatus.FAILED)
        return []
    if intent.amount != payment.amount or intent.currency != "idr":
        log.error(
            "payment %s: %s %s paid, IDR %s expected",
            intent.id,
            intent.currency,
            intent.amount,
            payment.amount,
        )
        return []
    if not _move_payment(payment, PaymentStatus.SUCCEEDED):
        return []
    order = db.session.get(Order, payment.order_id)
    assert order is not None
    if order.status == OrderStatus.AWAITING_PAYMENT.value and orders.expire_order(order.id):
        db.session.refresh(order)
    if orders.mark_order_paid(order, note=intent.id):
        return []
    if order.status == OrderStatus.EXPIRED.value:
        orders.mark_order_refunded(
            order, note=str(_l("Stok habis setelah waktu bayar lewat; dana dikembalikan."))
        )
    # Paid too late with no stock left, or a second payment of a paid order: give it back.
    return [payment.id]


def _move_payment(payment: Payment, to: PaymentStatus) -> bool:
    """pending -> succeeded/failed, guarded so that only one of two racing calls moves it."""
    result = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING.value)
        .values(status=to.value)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payment)
    return result.rowcount == 1


def remember_event(gateway_name: str, event_id: str, event_type: str) -> bool:
    """Store an event id; False when it was already handled (a replay)."""
    if db.session.scalar(
        select(WebhookEvent.id).where(
            WebhookEvent.gateway == gateway_name, WebhookEvent.event_id == event_id
        )
    ):
        return False
    db.session.add(WebhookEvent(gateway=gateway_name, event_id=event_id, event_type=event_type))
    # The unique (gateway, event_id) refuses a concurrent twin at this flush.
    db.session.flush()
    return True


@dataclass(frozen=True)
class RefundDue:
    payment_id: int
    intent_id: str
    amount: int

    @property
    def idempotency_key(self) -> str:
        return f"payment-{self.payment_id}-refund"


def refund_due(payment_id: int) -> RefundDue | None:
    """What to give back for a succeeded payment; None when there is nothing to refund."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED.value:
        return None
    return RefundDue(payment.id, payment.intent_id, payment.amount)


def record_refund(payment_id: int, refund_id: str) -> bool:
    """succeeded -> refunded, once."""
    result = db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.SUCCEEDED.value)
        .values(status=PaymentStatus.REFUNDED.value, refund_id=refund_id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount == 1


def refund_payment(payment_id: int, gateway: PaymentGateway) -> str | None:
    """Refund in the caller's transaction (tests, scripts); the boundaries split it."""
    due = refund_due(payment_id)
    if due is None:
        return None
    refund_id = gateway.refund(
        due.intent_id, amount=due.amount, idempotency_key=due.idempotency_key
    )
    record_refund(payment_id, refund_id)
    return refund_id


def payments_of(order_id: int) -> list[Payment]:
    return list(
        db.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))
    )
