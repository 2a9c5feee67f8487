"""Payment units of work for the boundaries: gateway calls never inside a write transaction.

On SQLite a write transaction holds the database's one write lock; on PostgreSQL it
holds row locks. Neither may wait on the network, so each step below reads, calls
the gateway with no transaction open, then records the result in a short unit.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from marketplace.db import db
from marketplace.orders.units import unit_of_work
from marketplace.payments import services
from marketplace.payments.gateway import GatewayError, PaymentGateway
from marketplace.payments.models import Payment

log = logging.getLogger(__name__)


def open_payment(order_id: int, gateway: PaymentGateway) -> Payment:
    """The order's pending payment, opened at the gateway when there is none yet."""
    if payment := services.pending_payment(order_id):
        return payment
    attempt = services.next_attempt(order_id)
    db.session.rollback()  # no transaction stays open across the gateway call
    intent = services.create_intent(attempt, gateway)
    try:
        with unit_of_work():
            payment = services.record_payment(attempt, intent, gateway.name)
            db.session.commit()
    except IntegrityError:
        # A second tab opened the same attempt (the same key: the same intent).
        db.session.rollback()
        payment = services.pending_payment(order_id)
        if payment is None:
            raise
    return payment


def refund_payments(payment_ids: list[int], gateway: PaymentGateway) -> int:
    """Give these payments back; each refund is recorded once, after the gateway took it."""
    refunded = 0
    for payment_id in payment_ids:
        due = services.refund_due(payment_id)
        db.session.rollback()
        if due is None:
            continue
        try:
            refund_id = gateway.refund(
                due.intent_id, amount=due.amount, idempotency_key=due.idempotency_key
            )
        except GatewayError:
            # The key is derived from the payment: `flask orders refunds` retries safely.
            log.exception("refund of payment %s failed", payment_id)
            continue
        with unit_of_work():
            refunded += services.record_refund(payment_id, refund_id)
            db.session.commit()
    return refunded
