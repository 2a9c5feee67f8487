"""Payments for orders: start one, record what the gateway says, refund what must go back.

Functions flush and never commit. Gateway calls that follow a state change (a
refund) are not made here: :func:`record_intent` returns the payments to refund
and the caller refunds them after its commit, with :func:`refund_payment`.
"""

from __future__ import annotations

import logging

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


def open_payment(order_id: int, gateway: PaymentGateway) -> Payment:
    """The pending payment of an order awaiting payment, created at the gateway if need be.

    The idempotency key is derived from the order and attempt, so a reload, a
    retry or a second tab reuses the same intent (and the unique key refuses a
    second row).
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise PaymentError(_l("Pesanan tidak ditemukan."))
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        raise PaymentError(_l("Pesanan ini tidak menunggu pembayaran lagi."))
    pending = db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING.value)
        .order_by(Payment.id.desc())
    )
    if pending is not None:
        return pending
    attempts = db.session.scalar(
        select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
    )
    key = _attempt_key(order_id, attempts + 1)
    try:
        intent = gateway.create_intent(
            amount=order.total_amount,
            order_id=order_id,
            email=order.contact_email,
            idempotency_key=key,
        )
    except GatewayError as error:
        log.warning("payment gateway refused order %s: %s", order_id, error)
        raise PaymentError(_l("Pembayaran belum bisa dimulai. Coba lagi sebentar lagi.")) from error
    payment = Payment(
        order_id=order_id,
        gateway=gateway.name,
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount=order.total_amount,
        idempotency_key=key,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


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


def refund_payment(payment_id: int, gateway: PaymentGateway) -> str | None:
    """Give a succeeded payment back at the gateway (idempotent per payment)."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED.value:
        return None
    refund_id = gateway.refund(
        payment.intent_id, amount=payment.amount, idempotency_key=f"payment-{payment.id}-refund"
    )
    payment.refund_id = refund_id
    payment.status = PaymentStatus.REFUNDED.value
    db.session.flush()
    return refund_id


def payments_of(order_id: int) -> list[Payment]:
    return list(
        db.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))
    )
