"""Reconciliation: the ledger against what the bank batches and Stripe say.

Every difference is listed, none is fixed here (a correction is a new ledger event
an admin decides). Checks:

- every ledger event sums to zero;
- each payout's ledger legs agree with its status and amount (in transit while open,
  paid out when paid, back to available when failed);
- a confirmed bank or e-wallet payout has the bank's reference and sits in a batch;
- each Stripe payout's transfer exists at the gateway with the same amount, destination
  and reversals; a transfer the gateway has that no payout knows is listed too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.money.models import Account, LedgerEntry, Payout, PayoutMethod, PayoutStatus
from marketplace.numbers import parse_id
from marketplace.payments.gateway import GatewayError

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
}


@dataclass(frozen=True)
class Difference:
    #: a payout number, a transfer id or an event key
    subject: str
    ledger: str
    gateway: str
    #: a key of :data:`NOTES`
    note: str

    @property
    def label(self) -> str:
        return str(NOTES[self.note])


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


def reconcile(connect) -> list[Difference]:
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
        if bank_paid and (not payout.reference or payout.batch_id is None):
            differences.append(Difference(payout.number, "paid", "", "no_bank_reference"))

    try:
        transfers = {transfer.id: transfer for transfer in connect.list_transfers()}
    except GatewayError as error:
        differences.append(Difference("stripe", "", str(error), "gateway_unreachable"))
        return differences
    known: set[str] = set()
    for payout in payouts:
        if payout.method != PayoutMethod.STRIPE.value or payout.status != PayoutStatus.PAID.value:
            continue
        known.add(payout.reference or "")
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
        if transfer_id not in known:
            differences.append(
                Difference(transfer_id, "", str(transfer.amount), "unknown_transfer")
            )
    return differences
