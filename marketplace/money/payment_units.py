"""Payment units of work for the boundaries: gateway calls never inside a write transaction.

On SQLite a write transaction holds the database's one write lock; on PostgreSQL it
holds row locks. Neither may wait on the network, so each step below reads, calls
the gateway with no transaction open, then records the result in a short unit.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.db import db, unit_of_work
from marketplace.jobs import job
from marketplace.money import payments as services
from marketplace.money import refunds as gateway_refunds
from marketplace.money.models import Payment, PaymentStatus
from marketplace.payments.gateway import (
    GatewayError,
    GatewayRefund,
    Intent,
    PaymentGateway,
    gateway_named,
    get_gateway,
)
from marketplace.payments.midtrans_gateway import refundable

log = logging.getLogger(__name__)


def open_payment(order_id: int, gateway: PaymentGateway, method: str = "") -> Payment:
    """The order's pending payment at this gateway by this method, opened when there is
    none yet."""
    return _open(order_id, gateway, method)[0]


def _open(
    order_id: int, gateway: PaymentGateway, method: str = ""
) -> tuple[Payment, Intent | None]:
    """The pending payment, and the gateway's answer when it was opened just now."""
    if payment := services.pending_payment(order_id, gateway.name, method):
        return payment, None
    attempt = services.next_attempt(order_id, method)
    db.session.rollback()  # no transaction stays open across the gateway call
    try:
        intent = services.create_intent(attempt, gateway)
    except services.PaymentError:
        # A twin request with the same key may have opened it meanwhile.
        db.session.rollback()
        if payment := services.pending_payment(order_id, gateway.name, method):
            return payment, None
        raise
    try:
        with unit_of_work():
            payment = services.record_payment(attempt, intent, gateway.name)
            db.session.commit()
    except IntegrityError:
        # A second tab opened the same attempt (the same key: the same intent).
        db.session.rollback()
        payment = services.pending_payment(order_id, gateway.name, method)
        if payment is None:
            raise
        return payment, None
    return payment, intent


def checkout_url(order_id: int, gateway: PaymentGateway) -> str:
    """Where the buyer pays: the gateway's page, or "" to pay on ours ("Mode uji").

    A session that can no longer be paid (expired, failed) is recorded as failed and a
    new attempt is opened; one paid meanwhile is recorded as paid (then "" too).
    """
    for _attempt in range(3):
        payment, intent = _open(order_id, gateway)
        if not gateway.hosted:
            return ""
        if intent is None:
            db.session.rollback()
            try:
                intent = gateway.retrieve_intent(payment.intent_id)
            except GatewayError as error:
                raise services.PaymentError(
                    _l("Pembayaran belum bisa dimulai. Coba lagi sebentar lagi.")
                ) from error
        if intent.redirect_url:
            return intent.redirect_url
        apply_intent(intent)
        if not intent.over:
            return ""  # paid, or settling: the order page tells which
    raise services.PaymentError(_l("Pembayaran belum bisa dimulai. Coba lagi sebentar lagi."))


def apply_intent(intent: Intent, event: tuple[str, str, str] | None = None) -> bool:
    """Record a payment's state in one unit of work; False when it was a replayed event."""
    try:
        with unit_of_work():
            if event is not None and not services.remember_event(*event):
                db.session.rollback()
                return False
            refunds = services.record_intent(intent)
            db.session.commit()
    except IntegrityError:
        # The same event, handled at this very moment by another worker.
        db.session.rollback()
        return False
    # Refunds follow the committed state change.
    issue_refunds(refunds, get_gateway())
    return True


def apply_refunds(refunds: list[GatewayRefund], event: tuple[str, str, str]) -> bool:
    """A refund event, once: confirms our refund whose answer from the gateway got lost,
    or records one made at the gateway (its dashboard) as a refund, once per refund id."""
    try:
        with unit_of_work():
            if not services.remember_event(*event):
                db.session.rollback()
                return False
            for refund in refunds:
                if not services.confirm_gateway_refund(refund):
                    gateway_refunds.record_external_refund(refund)
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def issue_refunds(refund_ids: list[int], gateway: PaymentGateway) -> int:
    """Send recorded refunds to the gateway the payment was made with (``gateway`` when it
    is that one); each is marked done once the gateway took it. A payment no gateway can
    give back (a virtual account) waits for the admin's bank transfer."""
    issued = 0
    for refund_id in refund_ids:
        due = services.refund_due(refund_id)
        db.session.rollback()  # no transaction stays open across the gateway call
        if due is None or by_bank_transfer(due.gateway, due.method):
            continue
        paid_with = gateway if due.gateway == gateway.name else gateway_named(due.gateway)
        if paid_with is None:
            log.error("refund %s: gateway %s is not configured", refund_id, due.gateway)
            continue
        try:
            gateway_refund_id = paid_with.refund(
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


def by_bank_transfer(gateway_name: str, method: str) -> bool:
    """A refund of this payment is a bank transfer the admin makes and records: Midtrans
    cannot give back a virtual account payment."""
    return gateway_name == "midtrans" and not refundable(method)


#: the job :func:`marketplace.orders.lifecycle.expire_order` enqueues
EXPIRE_CHECKOUTS_JOB = "payments.expire_checkouts"


@job(EXPIRE_CHECKOUTS_JOB)
def expire_checkouts(order_id: int) -> int:
    """Close an expired order's payment pages that are still open at the gateway.

    Runs after the expiry's commit; safe to run twice (each close has its own
    idempotency key, and a payment recorded as failed is not asked again). A page the
    gateway will not close (paid or expired meanwhile) is logged, and what the gateway
    says about it is recorded as its webhook would. Returns how many were closed.
    """
    pending = [
        (payment.id, payment.intent_id, gateway)
        for payment in services.payments_of(order_id)
        if payment.status == PaymentStatus.PENDING.value
        and (gateway := gateway_named(payment.gateway)) is not None
    ]
    db.session.rollback()  # no transaction stays open across the gateway calls
    closed = 0
    for payment_id, intent_id, gateway in pending:
        key = f"payment-{payment_id}-expire"
        try:
            intent = gateway.expire_intent(intent_id, idempotency_key=key)
        except GatewayError as error:
            log.warning("order %s: %s was not expired: %s", order_id, intent_id, error)
            try:
                intent = gateway.retrieve_intent(intent_id)
            except GatewayError:
                log.exception("order %s: %s could not be read", order_id, intent_id)
                continue
        else:
            closed += intent is not None
        if intent is not None:
            apply_intent(intent)
    return closed
