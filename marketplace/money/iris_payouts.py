"""Payouts by transfer API: a run's bank and e-wallet payouts sent through Midtrans Payouts
(Iris) instead of the CSV batch, where Iris reaches the account.

Each payout is sent once: its own idempotency key is Iris' ``X-Idempotency-Key``, and the
reference Iris gives (``iris:<reference_no>``) is kept on the payout before anything else
happens, so a second press, a retry or another admin finds it sent. The account's holder is
checked first with Iris' account validation: a name the bank does not know fails the payout
(its money back to available, the admins told) rather than paying a stranger. Iris'
notification (``Iris-Signature`` verified, then the payout read back from Iris) settles the
payout (in transit → paid out) or fails it, through the same moves as the bank's result
file (``runs.settle_payout``, ``runs.fail_payout``). Reconciliation reads each payout back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.db import db, unit_of_work, update_if
from marketplace.locales import N_, stored_messages, written
from marketplace.money.models import Payout, PayoutMethod, PayoutStatus
from marketplace.money.reconcile import Difference, reconciles
from marketplace.money.runs import fail_payout, settle_payout
from marketplace.payments.gateway import BadSignature, GatewayError, Period, gateway_named
from marketplace.payments.iris_gateway import (
    FAILED_STATUSES,
    OPEN_STATUSES,
    PAID_STATUSES,
    Beneficiary,
    IrisGateway,
    beneficiary_for,
)

log = logging.getLogger(__name__)

PREFIX = "iris:"
#: why a payout was not sent: the bank names the account's holder otherwise (stored in
#: Indonesian, shown in the reader's language: ``locales.shown``)
HOLDER_DIFFERS = N_("Nama pemilik rekening di bank: %(holder)s")
stored_messages(HOLDER_DIFFERS)


def iris() -> IrisGateway | None:
    gateway = gateway_named("iris")
    return gateway if isinstance(gateway, IrisGateway) else None


@dataclass
class Sent:
    sent: list[str] = field(default_factory=list)
    #: payouts left for the CSV batch: Iris does not reach their bank or e-wallet
    left: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _beneficiary(payout: Payout) -> Beneficiary | None:
    return beneficiary_for(
        bank_code=payout.bank_code,
        account_number=payout.account_number,
        holder_name=payout.holder_name,
        wallet=payout.wallet_provider,
        wallet_number=payout.wallet_number,
    )


def _same_name(ours: str, banks: str) -> bool:
    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    return bool(banks) and words(ours) == words(banks)


def send_payouts() -> Sent:
    """Send every open bank/e-wallet payout Iris can reach; approve them when the approver's
    key is set. Gateway calls run outside any transaction."""
    gateway = iris()
    outcome = Sent()
    if gateway is None:
        return outcome
    payouts = list(
        db.session.scalars(
            select(Payout)
            .where(
                Payout.status == PayoutStatus.CREATED.value,
                Payout.method.in_((PayoutMethod.BANK.value, PayoutMethod.EWALLET.value)),
                Payout.batch_id.is_(None),
                Payout.reference.is_(None),
            )
            .order_by(Payout.id)
        )
    )
    work = [(p.id, p.number, p.amount, p.idempotency_key, _beneficiary(p)) for p in payouts]
    db.session.rollback()
    references = []
    for payout_id, number, amount, key, beneficiary in work:
        if beneficiary is None:
            outcome.left.append(number)
            continue
        reference = _send_one(gateway, payout_id, number, amount, key, beneficiary, outcome)
        if reference:
            references.append(reference)
    try:
        gateway.approve(references)
    except GatewayError:
        log.exception("Iris did not approve %s; approve them in Midtrans' dashboard", references)
    return outcome


def _send_one(gateway, payout_id, number, amount, key, beneficiary, outcome) -> str:
    try:
        holder = gateway.account_name(beneficiary)
        if not _same_name(beneficiary.name, holder):
            _fail(payout_id, written(HOLDER_DIFFERS, holder=holder or "-"))
            outcome.failed.append(number)
            return ""
        reference_no = gateway.create_payout(
            beneficiary, amount, notes=f"Pencairan {number}", idempotency_key=key
        )
    except GatewayError as error:
        log.warning("payout %s not sent to Iris: %s", number, error)
        outcome.failed.append(number)
        return ""
    with unit_of_work():
        # Kept at once: the payout is at Iris, never in a batch nor sent again.
        update_if(
            Payout, payout_id, Payout.reference.is_(None), reference=f"{PREFIX}{reference_no}"
        )
        db.session.commit()
    outcome.sent.append(number)
    return reference_no


def _fail(payout_id: int, reason: str) -> bool:
    with unit_of_work():
        failed = fail_payout(payout_id, reason)
        db.session.commit()
    return failed


def handle_notification(payload: bytes, signature: str) -> tuple[str, int]:
    """Iris tells a payout's new status: verified, read back from Iris, applied once."""
    gateway = iris()
    if gateway is None:
        return "not configured", 404
    try:
        told = gateway.parse_notification(payload, signature)
    except BadSignature as error:
        log.warning("iris notification refused: %s", error)
        return "bad signature", 400
    payout_id = db.session.scalar(
        select(Payout.id).where(Payout.reference == f"{PREFIX}{told.reference_no}")
    )
    db.session.rollback()
    if payout_id is None:
        return "ignored", 200
    try:
        payout = gateway.retrieve(told.reference_no)
    except GatewayError:
        return "retry", 503
    return ("ok" if apply_status(payout_id, payout.status, payout.error) else "duplicate"), 200


def apply_status(payout_id: int, status: str, error: str) -> bool:
    """Iris' status of a payout: paid, failed (money back, admins told), or still open."""
    with unit_of_work():
        payout = db.session.get(Payout, payout_id)
        assert payout is not None
        if status in PAID_STATUSES:
            moved = settle_payout(payout_id, payout.reference or "")
        elif status in FAILED_STATUSES:
            moved = fail_payout(payout_id, error or status)
        else:
            moved = False
        db.session.commit()
    return moved


# --- reconciliation ---------------------------------------------------------------------------

NOTES = {
    "iris_unreachable": _l("Midtrans Payouts (Iris) tidak dapat dihubungi"),
    "iris_differs": _l("Pencairan di Iris berbeda (jumlah atau status)"),
}


@reconciles(NOTES)
def reconcile_iris(period: Period) -> list[Difference]:
    """Each payout sent through Iris in the period, read back: the same amount, and paid,
    failed or still open on both sides."""
    rows = [
        (payout.number, payout.reference or "", payout.amount, payout.status)
        for payout in db.session.scalars(
            select(Payout)
            .where(
                Payout.reference.startswith(PREFIX),
                Payout.created_at >= period.since,
                Payout.created_at < period.until,
            )
            .order_by(Payout.id)
        )
    ]
    if not rows:
        return []
    db.session.rollback()
    gateway = iris()
    if gateway is None:
        return [Difference("iris", "", "IRIS_CREATOR_KEY", "iris_unreachable")]
    differences = []
    for number, reference, amount, status in rows:
        try:
            theirs = gateway.retrieve(reference.removeprefix(PREFIX))
        except GatewayError as error:
            differences.append(Difference(number, status, str(error)[:200], "iris_unreachable"))
            continue
        expected = {
            PayoutStatus.PAID.value: PAID_STATUSES,
            PayoutStatus.FAILED.value: FAILED_STATUSES,
        }.get(status, OPEN_STATUSES)
        if theirs.amount != amount or theirs.status not in expected:
            differences.append(
                Difference(
                    number, f"{amount} {status}", f"{theirs.amount} {theirs.status}", "iris_differs"
                )
            )
    return differences
