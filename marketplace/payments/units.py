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


def issue_refunds(refund_ids: list[int], gateway: PaymentGateway) -> int:
    """Send recorded refunds to the gateway; each is marked done once the gateway took it."""
    issued = 0
    for refund_id in refund_ids:
        due = services.refund_due(refund_id)
        db.session.rollback()  # no transaction stays open across the gateway call
        if due is None:
            continue
        try:
            gateway_refund_id = gateway.refund(
                due.intent_id, amount=due.amount, idempotency_key=due.idempotency_key
            )
        except GatewayError:
            # The key is the refund's own: `flask orders refunds` retries safely.
            log.exception("refund %s failed", refund_id)
            continue
        with unit_of_work():
            issued += services.record_refund(refund_id, gateway_refund_id)
            db.session.commit()
    return issued
