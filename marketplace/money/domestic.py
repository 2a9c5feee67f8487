"""Domestic payment methods (QRIS, bank virtual accounts, e-wallets) through Midtrans.

What the buyer may choose, opening the chosen method's payment (closing another one still
open), what a Midtrans notification means, the status re-check, the refund an admin makes
by bank transfer, and the reconciliation of our payments with Midtrans' transactions.
Every confirmation ends in :func:`~marketplace.money.payment_units.apply_intent`, the same
guarded move as a card's; an expired transaction expires its order, whose stock goes back
through the inventory (``lifecycle.expire_order``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from marketplace.db import db, unit_of_work
from marketplace.errors import MarketplaceError, NotFound
from marketplace.money import payments as services
from marketplace.money.models import (
    Account,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from marketplace.money.payment_units import (
    apply_intent,
    apply_refunds,
    by_bank_transfer,
    open_payment,
)
from marketplace.money.reconcile import Difference, reconciles
from marketplace.once import written_once
from marketplace.orders import lifecycle
from marketplace.payments.gateway import (
    BadEvent,
    BadSignature,
    GatewayError,
    Intent,
    PaymentGateway,
    Period,
    TestGateway,
    gateway_named,
    get_gateway,
)
from marketplace.payments.midtrans_gateway import METHODS, REFUND_STATUSES, MidtransGateway

log = logging.getLogger(__name__)

#: the buyer's choice that means a card (Stripe Checkout)
CARD = "card"
#: the choice when no gateway is configured: the app's own "Mode uji" page
TEST = "test"


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    #: ``card``, ``qris``, ``va``, ``ewallet`` or ``test``
    kind: str


def midtrans() -> MidtransGateway | None:
    gateway = gateway_named("midtrans")
    return gateway if isinstance(gateway, MidtransGateway) else None


def choices() -> list[Choice]:
    """The methods the buyer may choose, configured ones only: a card when Stripe is,
    Midtrans' methods when it is; "Mode uji" alone when neither is."""
    found = []
    if not isinstance(get_gateway(), TestGateway):
        found.append(Choice(CARD, str(_l("Kartu kredit/debit")), CARD))
    if gateway := midtrans():
        found += [Choice(key, METHODS[key].label, METHODS[key].kind) for key in gateway.methods]
    return found or [Choice(TEST, str(_l("Mode uji")), TEST)]


def offers_choice() -> bool:
    """More than today's single way (a card, or "Mode uji"): the buyer picks first."""
    return midtrans() is not None


def shown_payment(order_id: int) -> Payment | None:
    """The order's open Midtrans payment, whose QR or account number the page shows."""
    return services.pending_payment(order_id, "midtrans")


def gateway_for_choice(key: str) -> PaymentGateway:
    if key not in {choice.key for choice in choices()}:
        raise services.PaymentError(_l("Pilih cara bayar yang tersedia."), field="method")
    if key in (CARD, TEST):
        return get_gateway()
    gateway = midtrans()
    assert gateway is not None
    return gateway


def choose(order_id: int, key: str) -> Payment | None:
    """Open the payment of the method the buyer chose (Midtrans'), after closing any other
    still open at Midtrans, so that only one can be paid; None for a card (the caller
    sends the buyer on to Stripe)."""
    gateway = gateway_for_choice(key)
    close_others(order_id, keep=key)
    if not isinstance(gateway, MidtransGateway):
        return None
    return open_payment(order_id, gateway, key)


def close_others(order_id: int, keep: str) -> None:
    """Expire at Midtrans the order's open payments of another method than ``keep``."""
    gateway = midtrans()
    others = [
        payment.intent_id
        for payment in services.payments_of(order_id)
        if payment.status == PaymentStatus.PENDING.value
        and payment.gateway == "midtrans"
        and payment.method != keep
    ]
    db.session.rollback()  # no transaction stays open across the gateway calls
    for intent_id in others:
        if gateway is None:
            break
        try:
            intent = gateway.expire_intent(intent_id, idempotency_key=intent_id)
        except GatewayError:
            # Paid meanwhile, or Midtrans is away: record what it says, if anything.
            try:
                intent = gateway.retrieve_intent(intent_id)
            except GatewayError:
                log.warning("order %s: %s could not be closed", order_id, intent_id)
                continue
        apply_intent(intent)


def check_status(order_id: int) -> Intent | None:
    """The buyer asks whether the payment arrived: Midtrans' status, applied."""
    payment = shown_payment(order_id)
    gateway = midtrans()
    if payment is None or gateway is None:
        return None
    intent_id = payment.intent_id
    db.session.rollback()
    try:
        intent = gateway.retrieve_intent(intent_id)
    except GatewayError as error:
        raise services.PaymentError(
            _l("Status pembayaran belum bisa diperiksa. Coba lagi sebentar lagi.")
        ) from error
    _apply(intent)
    return intent


def _apply(intent: Intent, event: tuple[str, str, str] | None = None) -> bool:
    """Apply a Midtrans transaction's state; one that expired expires its order."""
    applied = apply_intent(intent, event=event)
    if intent.status == "canceled" and intent.order_id is not None:
        # Midtrans' expiry is the order's (custom_expiry): its stock goes back now,
        # once (the order's own timer would do the same a moment later).
        with unit_of_work():
            lifecycle.expire_order(intent.order_id)
            db.session.commit()
    return applied


def handle_notification(payload: bytes) -> tuple[str, int]:
    """A Midtrans HTTP notification: verified, stored by id, and never trusted further
    than its signature: the transaction's status is asked of Midtrans before acting."""
    gateway = midtrans()
    if gateway is None:
        return "not configured", 404
    try:
        event = gateway.parse_event(payload)
    except BadSignature as error:
        log.warning("midtrans notification refused: %s", error)
        return "bad signature", 400
    except BadEvent as error:
        log.warning("midtrans notification refused: %s", error)
        return "bad event", 400
    if event.order_id is None:
        return "ignored", 200  # not an order of ours (another shop on the same account)
    if why := services.event_misfit(event.order_id):
        log.warning("midtrans notification %s refused: %s", event.id, why)
        return "bad event", 400
    db.session.rollback()  # no transaction stays open across the gateway call
    try:
        intent = gateway.retrieve_intent(event.object_id)
        refunds = (
            gateway.list_refunds(charge=event.object_id)
            if event.data.get("transaction_status") in REFUND_STATUSES
            else None
        )
    except GatewayError:
        log.warning("midtrans notification %s: status could not be read", event.id)
        return "retry", 503  # Midtrans sends it again
    if why := services.event_misfit(event.order_id, intent):
        log.warning("midtrans notification %s refused: %s", event.id, why)
        return "bad event", 400
    stored = (gateway.name, event.id, event.type)
    if refunds is not None:
        # A second partial refund sends the same status again: its id counts the refunds.
        stored = (gateway.name, f"{event.id}:{len(refunds)}", event.type)
        applied = apply_refunds(refunds, event=stored)
    else:
        applied = _apply(intent, event=stored)
    return ("ok" if applied else "duplicate"), 200


# --- refunds Midtrans cannot make: a bank transfer the admin records --------------------------


class NotByTransfer(MarketplaceError):
    status_code = 409


def transfers_due(order_id: int) -> list[Refund]:
    """The order's refunds waiting for the admin's bank transfer (a virtual account's)."""
    return [
        refund
        for refund in services.refunds_of(order_id)
        if refund.status == RefundStatus.PENDING.value
        and by_bank_transfer(refund.payment.gateway, refund.payment.method)
    ]


def record_transfer(order_id: int, refund_id: int, reference: str) -> bool:
    """The admin transferred a refund to the buyer's bank: recorded once, with its reference
    (unique, like a gateway's refund id). False when it was already recorded."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.payment.order_id != order_id:
        raise NotFound(_l("Pengembalian dana tidak ditemukan."))
    if not by_bank_transfer(refund.payment.gateway, refund.payment.method):
        raise NotByTransfer(_l("Pengembalian ini dikirim lewat gateway."))
    key = f"transfer:{reference.strip()}"[:120]
    if key == "transfer:":
        raise MarketplaceError(_l("Isi nomor referensi transfer."), field="reference")
    used = MarketplaceError(
        _l("Nomor referensi ini sudah dipakai untuk pengembalian lain."), field="reference"
    )
    if refund.status == RefundStatus.PENDING.value and db.session.scalar(
        select(Refund.id).where(Refund.gateway_refund_id == key)
    ):
        raise used
    # The same reference for two refunds at once: the unique key refuses the second's UPDATE.
    with written_once(used):
        recorded = services.record_refund(refund_id, key)
    return recorded


# --- reconciliation: our payments against Midtrans' transactions ------------------------------

NOTES = {
    "midtrans_unreachable": _l("Midtrans tidak dapat dihubungi"),
    "midtrans_missing": _l("Pembayaran di buku besar tidak ada di Midtrans"),
    "midtrans_amount": _l("Jumlah transaksi Midtrans berbeda"),
    "midtrans_status": _l("Status transaksi Midtrans berbeda"),
    "midtrans_refunds": _l("Pengembalian dana di Midtrans berbeda dengan buku besar"),
    "midtrans_fee": _l("Biaya Midtrans tidak tercatat di buku besar"),
}


@reconciles(NOTES)
def reconcile_midtrans(period: Period) -> list[Difference]:
    """Each Midtrans payment opened in the period, as Midtrans has it now: the amount, paid
    or not, the refunds it made (against ours made through it), and the fee booked.

    Midtrans has no list of transactions in its API, so each recorded payment is asked
    for its status; a transaction we never recorded is not seen here (its notification
    would have named an order of ours, and was refused or logged).
    """
    rows = list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.gateway == "midtrans",
                Payment.created_at >= period.since,
                Payment.created_at < period.until,
            )
            .order_by(Payment.id)
        )
    )
    if not rows:
        return []
    ours = {row.intent_id: _our_side(row) for row in rows}
    db.session.rollback()
    gateway = midtrans()
    if gateway is None:
        return [Difference("midtrans", "", "MIDTRANS_SERVER_KEY", "midtrans_unreachable")]
    differences: list[Difference] = []
    for intent_id, mine in ours.items():
        differences += _compare(gateway, intent_id, mine)
    return differences


@dataclass(frozen=True)
class _Ours:
    payment_id: int
    amount: int
    paid: bool
    refunded: int
    fee: int


def _our_side(payment: Payment) -> _Ours:
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id,
            Refund.status == RefundStatus.SUCCEEDED.value,
            # a bank transfer the admin made is not Midtrans'
            or_(
                Refund.gateway_refund_id.is_(None),
                ~Refund.gateway_refund_id.startswith("transfer:"),
            ),
        )
    )
    fee = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.event_key == f"payment-{payment.id}-fee",
            LedgerEntry.account == Account.PAYMENT_FEES.value,
        )
    )
    return _Ours(
        payment.id,
        payment.amount,
        payment.status in (PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value),
        int(refunded or 0),
        int(fee or 0),
    )


def _compare(gateway: MidtransGateway, intent_id: str, mine: _Ours) -> list[Difference]:
    subject = f"payment-{mine.payment_id}"
    try:
        intent, refunds = gateway.status_of(intent_id)
    except GatewayError as error:
        kind = "midtrans_missing" if "404" in str(error) else "midtrans_unreachable"
        return [Difference(subject, str(mine.amount), str(error)[:200], kind)]
    found = []
    if intent.amount != mine.amount:
        found.append(Difference(subject, str(mine.amount), str(intent.amount), "midtrans_amount"))
    if intent.succeeded != mine.paid:
        found.append(
            Difference(subject, "paid" if mine.paid else "unpaid", intent.status, "midtrans_status")
        )
    given = sum(refund.amount for refund in refunds)
    if given != mine.refunded:
        found.append(Difference(subject, str(mine.refunded), str(given), "midtrans_refunds"))
    if intent.succeeded and intent.fee != mine.fee:
        found.append(Difference(subject, str(mine.fee), str(intent.fee), "midtrans_fee"))
    return found
