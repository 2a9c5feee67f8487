"""Bank and e-wallet payouts in a CSV batch: an admin exports the payouts of a run that go
by bank transfer or e-wallet, uploads the file to the bank, and confirms each line with
the bank's result file (settled with the bank's reference, or failed and given back)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.db import db, unit_of_work
from marketplace.money.banks import BANKS_BY_CODE, WALLETS
from marketplace.money.models import DisbursementBatch, Payout, PayoutMethod, PayoutStatus
from marketplace.money.runs import PayoutError, fail_payout, settle_payout
from marketplace.numbers import MAX_AMOUNT, NumberError, parse_id, parse_whole

EXPORT_COLUMNS = (
    "reference",
    "method",
    "bank_code",
    "bank_or_wallet",
    "account_number",
    "holder_name",
    "amount",
    "description",
)


def export_batch(actor_id: int | None) -> DisbursementBatch | None:
    """Put every bank/e-wallet payout not yet exported into a new batch (None if none).

    Each payout moves by a guarded UPDATE: of two exports at once (PostgreSQL: both saw the
    same payouts waiting), the second moves none and makes no batch."""
    with unit_of_work():
        open_ids = select(Payout.id).where(
            Payout.status == PayoutStatus.CREATED.value,
            Payout.method.in_((PayoutMethod.BANK.value, PayoutMethod.EWALLET.value)),
            # one sent through a transfer API (Iris) already has its reference
            Payout.reference.is_(None),
        )
        if db.session.scalar(open_ids.limit(1)) is None:
            db.session.rollback()
            return None
        batch = DisbursementBatch(created_by_id=actor_id)
        db.session.add(batch)
        db.session.flush()
        moved = db.session.execute(
            update(Payout)
            .where(Payout.id.in_(open_ids), Payout.status == PayoutStatus.CREATED.value)
            .values(batch_id=batch.id, status=PayoutStatus.EXPORTED.value)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 0:  # exported at the same moment (a double tap): no empty batch
            db.session.rollback()
            return None
        db.session.commit()
    return batch


def batch_payouts(batch_id: int) -> list[Payout]:
    return list(
        db.session.scalars(select(Payout).where(Payout.batch_id == batch_id).order_by(Payout.id))
    )


def batch_csv(batch_id: int) -> str:
    """The file for the bank's bulk transfer: one line per payout, the snapshot account."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for payout in batch_payouts(batch_id):
        if payout.method == PayoutMethod.BANK.value:
            bank = BANKS_BY_CODE.get(payout.bank_code)
            row = [
                payout.bank_code,
                bank.name if bank else "",
                payout.account_number,
                payout.holder_name,
            ]
        else:
            row = [
                "",
                WALLETS.get(payout.wallet_provider, ""),
                payout.wallet_number,
                payout.seller.owner_name,
            ]
        writer.writerow(
            [
                payout.number,
                payout.method,
                *row,
                payout.amount,
                f"Pasar Oleh-Oleh Kaltara {payout.number}",
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class LineOutcome:
    line: int
    reference: str
    #: "paid", "failed" or "refused"
    outcome: str
    reason: str = ""


SUCCESS_WORDS = {"berhasil", "sukses", "success", "ok", "paid"}
FAILURE_WORDS = {"gagal", "failed", "rejected", "ditolak"}


def confirm_batch_file(data: bytes) -> list[LineOutcome]:
    """The bank's result file as uploaded: CSV in UTF-8 (with or without a BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PayoutError(_l("Berkas hasil harus CSV (UTF-8).")) from error
    return confirm_batch_results(text)


def confirm_batch_results(text: str) -> list[LineOutcome]:
    """The bank's result file: ``reference,status,bank_reference[,amount][,note]`` per line.

    Each line is taken in its own unit of work; a line for a payout that does not
    exist, is not in a batch, was already confirmed, or whose amount or bank reference
    does not fit is refused with its reason, and nothing is paid twice.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {name.strip().lower() for name in reader.fieldnames or []}
    if not {"reference", "status"} <= fields:
        raise PayoutError(_l("Berkas hasil harus punya kolom reference dan status."))
    outcomes: list[LineOutcome] = []
    for number, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        outcomes.append(_confirm_line(number, row))
    return outcomes


def _payout_by_reference(reference: str) -> Payout | None:
    payout_id = parse_id(reference.upper().removeprefix("PO-"))
    return None if payout_id is None else db.session.get(Payout, payout_id)


def _amount_or_none(text: str) -> int | None:
    try:
        return parse_whole(text, maximum=MAX_AMOUNT, grouping=True)
    except NumberError:
        return None


def _confirm_line(number: int, row: dict[str, str]) -> LineOutcome:
    reference = row.get("reference", "")
    status = row.get("status", "").lower()
    bank_reference = row.get("bank_reference", "")

    def refused(reason) -> LineOutcome:
        db.session.rollback()
        return LineOutcome(number, reference, "refused", str(reason))

    with unit_of_work():
        payout = _payout_by_reference(reference)
        if payout is None or payout.method == PayoutMethod.STRIPE.value:
            return refused(_l("Pencairan tidak dikenal."))
        if payout.status == PayoutStatus.PAID.value:
            return refused(_l("Sudah dikonfirmasi sebelumnya (%(ref)s).", ref=payout.reference))
        if payout.status == PayoutStatus.FAILED.value:
            return refused(_l("Sudah ditandai gagal sebelumnya."))
        if payout.status != PayoutStatus.EXPORTED.value:
            return refused(_l("Pencairan ini belum diekspor ke bank."))
        amount = row.get("amount", "").replace(",", ".")
        if amount and _amount_or_none(amount) != payout.amount:
            return refused(
                _l("Jumlah tidak sama dengan pencairan (%(amount)s).", amount=payout.amount)
            )
        if status in SUCCESS_WORDS:
            if not bank_reference:
                return refused(_l("Nomor referensi bank kosong."))
            if db.session.scalar(select(Payout.id).where(Payout.reference == bank_reference)):
                return refused(_l("Nomor referensi bank sudah dipakai pencairan lain."))
            if not settle_payout(payout.id, bank_reference):
                return refused(_l("Sudah dikonfirmasi sebelumnya."))
            outcome = "paid"
        elif status in FAILURE_WORDS:
            if not fail_payout(payout.id, row.get("note") or "bank"):
                return refused(_l("Sudah dikonfirmasi sebelumnya."))
            outcome = "failed"
        else:
            return refused(_l("Status tidak dikenal: %(status)s.", status=status))
        try:
            db.session.commit()
        except IntegrityError:
            return refused(_l("Nomor referensi bank sudah dipakai pencairan lain."))
    return LineOutcome(number, reference, outcome)
