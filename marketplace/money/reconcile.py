"""Reconciliation: everything that moves money, the ledger against the gateway and the bank.

Every difference is listed with its cause, none is fixed here (a correction is a new
ledger event an admin decides). Checks, for a period:

- every ledger event sums to zero;
- each payout's ledger legs agree with its status and amount (in transit while open,
  paid out when paid, back to available when failed);
- a confirmed bank or e-wallet payout has the bank's reference and sits in a batch;
- each Stripe payout of the period has its transfer at the gateway with the same amount,
  destination and reversals; a transfer the gateway made in the period that no payout
  knows is listed too;
- each charge the payment gateway took in the period is a payment we recorded, for the
  same amount, and each payment we recorded has its charge;
- each refund the gateway made in the period (in its dashboard too) is recorded, for the
  same amount and not failed there (one the rules do not book is listed with the cause:
  ``refunds.unrecorded_cause``); each refund we recorded was made at the gateway and
  reversed its part's entries in the ledger;
- what the packages above register with :func:`reconciles` (the SP2D receipts, against
  their invoices and the bank's statement, and the protocol offices' card payments of
  government invoices).

The gateway's side is asked a little wider than the period (a charge comes minutes
after its payment was opened, our record of a refund after the gateway made it), so
that nothing at the period's edge is listed as missing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.db import DATE_YEARS, WITA, db
from marketplace.money.models import (
    Account,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from marketplace.money.refunds import gateway_refund_id, unrecorded_cause
from marketplace.numbers import parse_id
from marketplace.payments.connect import ConnectGateway
from marketplace.payments.gateway import (
    GatewayCharge,
    GatewayError,
    GatewayRefund,
    PaymentGateway,
    Period,
    record_test_payments_with,
)

#: what each kind of difference means, for the admin page and the command
NOTES = {
    "unbalanced_event": _l("Peristiwa buku besar tidak berjumlah nol"),
    "ledger_status": _l("Buku besar tidak sesuai status pencairan"),
    "no_bank_reference": _l("Dibayar tanpa batch dan referensi bank"),
    "gateway_unreachable": _l("Stripe tidak dapat dihubungi"),
    "missing_transfer": _l("Transfer tidak ada di Stripe"),
    "transfer_differs": _l("Transfer di Stripe berbeda (jumlah atau tujuan)"),
    "reversals_differ": _l("Pembalikan transfer berbeda"),
    "unknown_transfer": _l("Transfer di Stripe tidak dikenal buku besar"),
    "unknown_charge": _l("Tagihan di Stripe tidak ada di buku besar"),
    "missing_charge": _l("Pembayaran di buku besar tidak ada di Stripe"),
    "charge_differs": _l("Jumlah tagihan berbeda"),
    "unrecorded_refund": _l("Pengembalian dana di Stripe belum tercatat"),
    "gov_card_refund": _l(
        "Pembayaran kartu instansi dikembalikan di dasbor Stripe: tidak dibukukan, karena "
        "tagihan dan kuitansinya sudah masuk SPJ instansi; terbitkan koreksi dokumen atau "
        "minta instansi membayar lagi"
    ),
    "refund_exceeds_left": _l(
        "Pengembalian dana di Stripe melebihi sisa yang dapat dikembalikan (ongkir bagian "
        "yang sudah dikirim milik rumah tangga): tidak dibukukan"
    ),
    "missing_refund": _l("Pengembalian dana di buku besar tidak ada di Stripe"),
    "refund_differs": _l("Jumlah pengembalian dana berbeda"),
    "refund_failed": _l("Pengembalian dana gagal atau dibatalkan di Stripe"),
    "refund_not_in_ledger": _l("Pengembalian dana tidak membalik entri buku besar"),
}

#: how long after its payment was opened a charge may come; how long after the gateway
#: made a refund we may record it (a lost answer, retried by ``flask orders refunds``);
#: how long after its payout's run a transfer may be made (a retried run)
CHARGE_LAG = REFUND_LAG = TRANSFER_LAG = dt.timedelta(days=1)
#: the period the admin page and the command compare when none is given: 31 days
DEFAULT_DAYS = 31
#: the longest period one reconciliation compares, the page's or the command's (the gateway
#: lists every object of it)
MAX_RECONCILE_DAYS = 366


@dataclass(frozen=True)
class Difference:
    #: a payout number, a transfer, charge or refund id, an SP2D number or an event key
    subject: str
    ledger: str
    gateway: str
    #: a key of :data:`NOTES`
    note: str
    #: whose record ``gateway`` is: the payment gateway's, or the bank's statement
    against: str = "gateway"

    @property
    def label(self) -> str:
        return str(NOTES[self.note])


#: the checks of the packages above (institutions: SP2D and card receipts)
_CHECKS: list[Callable[[Period], list[Difference]]] = []


def reconciles(notes: dict[str, object]):
    """Register a package's own check of a period, with what its kinds of difference mean
    (a decorator)."""

    def register(check: Callable[[Period], list[Difference]]):
        NOTES.update(notes)
        _CHECKS.append(check)
        return check

    return register


def period_refusal(first: dt.date, last: dt.date):
    """Why the days ``first`` to ``last`` are no period to reconcile, or None: a day outside
    ``DATE_YEARS`` (a typing mistake, or no time in UTC at all), the last day before the
    first, more than ``MAX_RECONCILE_DAYS`` days. The admin page and the command ask it."""
    if first.year not in DATE_YEARS or last.year not in DATE_YEARS:
        return _l(
            "Tulis tanggal antara tahun %(first)s dan %(last)s.",
            first=DATE_YEARS.start,
            last=DATE_YEARS.stop - 1,
        )
    if last < first:
        return _l("Tanggal akhir tidak boleh sebelum tanggal awal.")
    if (last - first).days >= MAX_RECONCILE_DAYS:
        return _l("Periode paling lama %(days)s hari.", days=MAX_RECONCILE_DAYS)
    return None


def period_of(first: dt.date, last: dt.date) -> Period:
    """The days ``first`` to ``last`` (WITA, both included) as a period in UTC: a period
    ``period_refusal`` takes (ValueError otherwise)."""
    if (refusal := period_refusal(first, last)) is not None:
        raise ValueError(str(refusal))
    start = dt.datetime.combine(first, dt.time(), WITA)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), WITA)
    return Period(start.astimezone(dt.UTC), end.astimezone(dt.UTC))


def default_days(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


def _expected_legs(payout: Payout) -> dict[str, int]:
    """What the ledger should hold for a payout, per account, summed over its events."""
    amount = payout.amount
    if payout.status in (PayoutStatus.CREATED.value, PayoutStatus.EXPORTED.value):
        return {
            Account.SELLER_AVAILABLE.value: -amount,
            Account.PAYOUTS_IN_TRANSIT.value: amount,
        }
    if payout.status == PayoutStatus.PAID.value:
        return {Account.SELLER_AVAILABLE.value: -amount, Account.SELLER_PAID_OUT.value: amount}
    return {}


def reconcile(
    period: Period, *, gateway: PaymentGateway, connect: ConnectGateway
) -> list[Difference]:
    """Every difference found in ``period``, the ledger's own first."""
    differences = _ledger_and_payouts(period, connect)
    differences += _charges(period, gateway)
    differences += _refunds(period, gateway)
    for check in _CHECKS:
        differences += check(period)
    return differences


def _ledger_and_payouts(period: Period, connect: ConnectGateway) -> list[Difference]:
    differences: list[Difference] = []
    for key, total in db.session.execute(
        select(LedgerEntry.event_key, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.event_key)
        .having(func.sum(LedgerEntry.amount) != 0)
    ):
        differences.append(Difference(key, str(total), "", "unbalanced_event"))

    legs: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, account, amount in db.session.execute(
        select(LedgerEntry.event_key, LedgerEntry.account, LedgerEntry.amount).where(
            LedgerEntry.event_key.like("payout-%")
        )
    ):
        payout_id = parse_id(key.split("-")[1])
        if payout_id is not None:
            legs[payout_id][account] += amount

    payouts = list(db.session.scalars(select(Payout).order_by(Payout.id)))
    for payout in payouts:
        got = {account: amount for account, amount in legs.get(payout.id, {}).items() if amount}
        want = {account: amount for account, amount in _expected_legs(payout).items() if amount}
        if got != want:
            differences.append(Difference(payout.number, str(got), payout.status, "ledger_status"))
        bank_paid = (
            payout.method != PayoutMethod.STRIPE.value and payout.status == PayoutStatus.PAID.value
        )
        by_api = (payout.reference or "").startswith("iris:")  # money/iris_payouts.py checks it
        if bank_paid and not by_api and (not payout.reference or payout.batch_id is None):
            differences.append(Difference(payout.number, "paid", "", "no_bank_reference"))

    return differences + _transfers(period, connect, payouts)


def _transfers(period: Period, connect: ConnectGateway, payouts: list[Payout]) -> list[Difference]:
    """The paid Stripe payouts of the period against the transfers the gateway made in it.

    Asked a little wider (a transfer is made after its payout's run is recorded); a
    transfer of an earlier payout is known whenever it was made.
    """
    try:
        listed = connect.list_transfers(period.widened(TRANSFER_LAG, TRANSFER_LAG))
    except GatewayError as error:
        return _unreachable(error)
    transfers = {transfer.id: transfer for transfer in listed}
    differences: list[Difference] = []
    known: set[str] = set()
    for payout in payouts:
        if payout.method != PayoutMethod.STRIPE.value or payout.status != PayoutStatus.PAID.value:
            continue
        known.add(payout.reference or "")
        if payout.created_at not in period:
            continue
        transfer = transfers.get(payout.reference or "")
        if transfer is None:
            differences.append(
                Difference(payout.number, str(payout.amount), "", "missing_transfer")
            )
            continue
        if transfer.amount != payout.amount or transfer.destination != payout.stripe_account_id:
            differences.append(
                Difference(
                    payout.number,
                    f"{payout.amount} → {payout.stripe_account_id}",
                    f"{transfer.amount} → {transfer.destination}",
                    "transfer_differs",
                )
            )
        if transfer.reversed_amount != payout.reversed_amount:
            differences.append(
                Difference(
                    payout.number,
                    str(payout.reversed_amount),
                    str(transfer.reversed_amount),
                    "reversals_differ",
                )
            )
    for transfer_id, transfer in transfers.items():
        if transfer_id not in known and (transfer.created is None or transfer.created in period):
            differences.append(
                Difference(transfer_id, "", str(transfer.amount), "unknown_transfer")
            )
    return differences


# --- charges and refunds at the payment gateway ----------------------------------------------


def _unreachable(error: GatewayError) -> list[Difference]:
    return [Difference("stripe", "", str(error), "gateway_unreachable")]


def _charges(period: Period, gateway: PaymentGateway) -> list[Difference]:
    try:
        # Asked wider: a payment opened at the period's end is charged a little later.
        charges = gateway.list_charges(period.widened(dt.timedelta(0), CHARGE_LAG))
    except GatewayError as error:
        return _unreachable(error)
    taken = (PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value)
    ids = [ref for charge in charges for ref in charge.payment_ids]
    known = {
        payment.intent_id: payment
        for payment in db.session.scalars(select(Payment).where(Payment.intent_id.in_(ids)))
    }
    differences: list[Difference] = []
    charged: set[str] = set()
    for charge in charges:
        payment = next((known[ref] for ref in charge.payment_ids if ref in known), None)
        if payment is not None and payment.status in taken:
            charged.add(payment.intent_id)
        if charge.created not in period:
            continue
        if payment is None or payment.status not in taken:
            recorded = payment.status if payment is not None else ""
            differences.append(
                Difference(charge.id, recorded, str(charge.amount), "unknown_charge")
            )
        elif payment.amount != charge.amount:
            differences.append(
                Difference(charge.id, str(payment.amount), str(charge.amount), "charge_differs")
            )
    for payment in db.session.scalars(
        select(Payment)
        .where(
            Payment.gateway == gateway.name,
            Payment.status.in_(taken),
            Payment.created_at >= period.since,
            Payment.created_at < period.until,
        )
        .order_by(Payment.id)
    ):
        if payment.intent_id not in charged:
            differences.append(
                Difference(payment.intent_id, str(payment.amount), "", "missing_charge")
            )
    return differences


def _refunds(period: Period, gateway: PaymentGateway) -> list[Difference]:
    try:
        # Asked wider: we record a refund after the gateway made it.
        listed = gateway.list_refunds(period.widened(REFUND_LAG, dt.timedelta(0)))
    except GatewayError as error:
        return _unreachable(error)
    at_gateway = {refund.id: refund for refund in listed}
    rows = list(
        db.session.scalars(
            select(Refund)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.gateway == gateway.name,
                Refund.status == RefundStatus.SUCCEEDED.value,
                Refund.refunded_at >= period.since,
            )
            .order_by(Refund.id)
        )
    )
    ours: dict[str, int] = defaultdict(int)
    for row in rows:
        ours[gateway_refund_id(row)] += row.amount
    differences: list[Difference] = []
    for refund in listed:
        if refund.created is None or refund.created not in period or not refund.given_back:
            continue
        if refund.id not in ours:
            differences.append(
                Difference(refund.id, "", str(refund.amount), unrecorded_cause(refund))
            )
        elif ours[refund.id] != refund.amount:
            differences.append(
                Difference(refund.id, str(ours[refund.id]), str(refund.amount), "refund_differs")
            )
    seen: set[str] = set()
    for row in rows:
        if row.refunded_at is None or row.refunded_at not in period:
            continue
        refund_id = gateway_refund_id(row)
        if refund_id in seen:
            continue
        seen.add(refund_id)
        found = at_gateway.get(refund_id)
        if found is None:
            differences.append(
                Difference(
                    refund_id or row.idempotency_key, str(ours[refund_id]), "", "missing_refund"
                )
            )
        elif not found.given_back:
            differences.append(
                Difference(refund_id, str(ours[refund_id]), found.status, "refund_failed")
            )
    return differences + _refunds_outside_ledger(period)


def _refunds_outside_ledger(period: Period) -> list[Difference]:
    """Refunds of a household's part whose ledger reversal is missing or of another amount."""
    rows = db.session.execute(
        select(Refund.id, Refund.amount, Refund.part_id)
        .where(
            Refund.part_id.is_not(None),
            Refund.created_at >= period.since,
            Refund.created_at < period.until,
        )
        .order_by(Refund.id)
    ).all()
    if not rows:
        return []
    keys = [f"refund-{refund_id}" for refund_id, _, _ in rows]
    reversed_ = dict(
        db.session.execute(
            select(LedgerEntry.event_key, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.event_key.in_(keys), LedgerEntry.account == Account.REFUNDS.value)
            .group_by(LedgerEntry.event_key)
        ).all()
    )
    paid_parts = set(
        db.session.scalars(
            select(LedgerEntry.order_part_id).where(
                LedgerEntry.event_key.in_([f"part-{part_id}-paid" for _, _, part_id in rows])
            )
        )
    )
    differences = []
    for refund_id, amount, part_id in rows:
        if part_id not in paid_parts:
            continue  # the part's money never reached the ledger: nothing to reverse
        booked = int(reversed_.get(f"refund-{refund_id}") or 0)
        if booked != amount:
            differences.append(
                Difference(f"refund-{refund_id}", str(booked), str(amount), "refund_not_in_ledger")
            )
    return differences


# --- "Mode uji": the test gateway answers from the rows the money layer recorded -------------


def _test_charges() -> list[GatewayCharge]:
    return [
        GatewayCharge(
            id=payment.intent_id,
            amount=payment.amount,
            payment_ids=(payment.intent_id,),
            created=payment.created_at,
        )
        for payment in db.session.scalars(
            select(Payment).where(
                Payment.gateway == "test",
                Payment.status.in_([PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]),
            )
        )
    ]


def _test_refunds() -> list[GatewayRefund]:
    rows = db.session.scalars(
        select(Refund)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.gateway == "test", Refund.status == RefundStatus.SUCCEEDED.value)
        .order_by(Refund.id)
    )
    made: dict[str, GatewayRefund] = {}
    for row in rows:
        refund_id = gateway_refund_id(row)
        before = made.get(refund_id)
        made[refund_id] = GatewayRefund(
            id=refund_id,
            status="succeeded",
            idempotency_key=row.idempotency_key,
            amount=row.amount + (before.amount if before else 0),
            payment_ids=(row.payment.intent_id,),
            created=row.refunded_at,
        )
    return list(made.values())


record_test_payments_with(_test_charges, _test_refunds)
