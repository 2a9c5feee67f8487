"""The ledger of government orders: money owed by a treasury, advanced, then settled.

A government order is not paid up front. At the signed handover record (BAST)
each household part is recorded as owed by the treasury (``government_receivable``),
split into the platform's commission, the household's share and its shipping, as
a card payment would be. PPh 22 that the treasurer will keep back from the
household's share is the government's (``government_pph22``), not unpaid money.

When advancing is on (``GOV_ADVANCE_TO_HOUSEHOLDS``), the household's money
becomes available at once: the platform advances it, and the part of the claim
that the platform has funded moves from ``government_receivable`` to
``platform_advance``. Each SP2D payment is spread over the parts still owed and
settles first the platform's advance, then the rest; without the advance the
household's money becomes available when its part is paid in full.

Every event is written through :func:`marketplace.money.services.write_event`:
it sums to zero, it is keyed, and writing it twice adds nothing. Functions flush
and never commit.

Reconciliation (registered with money's): each receipt is checked against the invoice it
pays and the ledger, and each card payment of an office against the gateway's payment it
names (whose charge money's reconciliation compares with the gateway's)
(:func:`reconcile_receipts`); each SP2D against the bank's own record, the credits of the
statement an admin imported (:func:`reconcile_bank_credits`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select

from marketplace.db import db, local_date, read_rows
from marketplace.institutions.models import GovInvoice, GovPayment, PaymentMethod
from marketplace.institutions.settings import setting
from marketplace.money.bank_statements import credits_between, is_covered
from marketplace.money.models import (
    Account,
    BankStatementLine,
    LedgerEntry,
    Payment,
    PaymentStatus,
)
from marketplace.money.reconcile import Difference, reconciles
from marketplace.money.services import (
    Leg,
    commission_split,
    make_part_available,
    part_sums,
    split_largest_remainder,
    write_event,
)
from marketplace.orders.models import OrderPart
from marketplace.payments.gateway import Period


@dataclass(frozen=True)
class PartBill:
    """What the treasury owes for one household part, from the officer's confirmation."""

    part: OrderPart
    #: whole rupiah: the goods that arrived
    goods_amount: int
    shipping_amount: int
    #: PPN of a VAT-registered household: it remits it itself, so it is the household's
    ppn_amount: int = 0
    #: PPh 22 the treasurer withholds from this household's share
    pph22_amount: int = 0
    #: the printed cards (the platform's), carried on one part of the order
    card_amount: int = 0

    @property
    def gross_amount(self) -> int:
        return self.goods_amount + self.shipping_amount + self.ppn_amount + self.card_amount


def advance_enabled() -> bool:
    return bool(setting("GOV_ADVANCE_TO_HOUSEHOLDS"))


def record_handover(bills: Sequence[PartBill]) -> int:
    """The BAST is signed: what each part is owed, and (when on) the platform's advance.

    Returns how many events were written.
    """
    written = 0
    for bill in bills:
        part = bill.part
        commission, share = commission_split(bill.goods_amount, part.commission_rate_bp)
        household = share + bill.ppn_amount - bill.pph22_amount
        legs: list[Leg] = [
            (Account.GOVERNMENT_RECEIVABLE, -bill.gross_amount),
            (Account.PLATFORM_COMMISSION, commission),
            (Account.PLATFORM_SALES, bill.card_amount),
            (Account.GOVERNMENT_PPH22, bill.pph22_amount),
            (Account.SELLER_PENDING, household),
            (Account.SHIPPING, bill.shipping_amount),
        ]
        if bill.gross_amount == 0:
            continue
        written += write_event(f"gov-part-{part.id}-bast", part, legs)
        if advance_enabled():
            written += _make_available(part, f"gov-part-{part.id}-advance", advance=True)
    return written


def _make_available(part: OrderPart, event_key: str, *, advance: bool) -> bool:
    """What is pending for the part becomes available; funded by the platform if ``advance``."""
    return make_part_available(part, event_key, advance=advance)


def cash_due(part: OrderPart) -> int:
    """What the treasury still has to transfer for a part (its debt less PPh 22)."""
    sums = part_sums(part.id)
    owed = -(
        sums.get(Account.GOVERNMENT_RECEIVABLE.value, 0)
        + sums.get(Account.PLATFORM_ADVANCE.value, 0)
    )
    return max(owed - sums.get(Account.GOVERNMENT_PPH22.value, 0), 0)


def record_settlement(payment_id: int, parts: Sequence[OrderPart], amount: int) -> int:
    """An SP2D (or card) payment of ``amount`` arrived: spread it over what the parts owe.

    Each part's slice repays the platform's advance first, then the rest of the
    treasury's debt. A part paid in full has its PPh 22 closed (the treasurer
    deposited it) and, without an advance, its money made available.
    """
    dues = [cash_due(part) for part in parts]
    if amount > sum(dues):
        raise ValueError("a settlement larger than what is owed")
    slices = split_largest_remainder(amount, dues) if sum(dues) else [0] * len(parts)
    written = 0
    for part, due, cash in zip(parts, dues, slices, strict=True):
        if cash <= 0:
            continue
        sums = part_sums(part.id)
        advanced = -sums.get(Account.PLATFORM_ADVANCE.value, 0)
        repay = min(cash, max(advanced, 0))
        legs: list[Leg] = [
            (Account.BUYER_FUNDS, -cash),
            (Account.PLATFORM_ADVANCE, repay),
            (Account.GOVERNMENT_RECEIVABLE, cash - repay),
        ]
        written += write_event(f"gov-payment-{payment_id}-part-{part.id}", part, legs)
        if cash == due:
            written += _close_part(part)
    return written


def _close_part(part: OrderPart) -> int:
    written = 0
    pph22 = part_sums(part.id).get(Account.GOVERNMENT_PPH22.value, 0)
    if pph22:
        legs: list[Leg] = [
            (Account.GOVERNMENT_PPH22, -pph22),
            (Account.GOVERNMENT_RECEIVABLE, pph22),
        ]
        written += write_event(f"gov-part-{part.id}-pph22-deposited", part, legs)
    if not advance_enabled():
        written += _make_available(part, f"gov-part-{part.id}-settled", advance=False)
    return written


@dataclass(frozen=True)
class GovernmentPosition:
    """The platform's position on government orders, for the admin."""

    owed: int
    advanced: int
    pph22_withheld: int


#: the sums of the accounts of the platform's position on government orders: built once,
#: the accounts bound one by one (a list given to ``in_`` is expanded again at every run)
_POSITION = (
    select(LedgerEntry.account, func.sum(LedgerEntry.amount))
    .where(
        LedgerEntry.account.in_(
            [
                literal(account.value)
                for account in (
                    Account.GOVERNMENT_RECEIVABLE,
                    Account.PLATFORM_ADVANCE,
                    Account.GOVERNMENT_PPH22,
                )
            ]
        )
    )
    .group_by(LedgerEntry.account)
)


def position() -> GovernmentPosition:
    """The sums of the accounts of the platform's position, read as rows."""
    rows = dict(read_rows(_POSITION).all())
    return GovernmentPosition(
        owed=-int(rows.get(Account.GOVERNMENT_RECEIVABLE.value) or 0),
        advanced=-int(rows.get(Account.PLATFORM_ADVANCE.value) or 0),
        pph22_withheld=int(rows.get(Account.GOVERNMENT_PPH22.value) or 0),
    )


def part_entries(part_ids: Sequence[int]) -> list[LedgerEntry]:
    """The ledger entries of a government order's parts, oldest first."""
    if not part_ids:
        return []
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.order_part_id.in_(list(part_ids)))
            .order_by(LedgerEntry.id)
        )
    )


@reconciles(
    {
        "receipt_not_in_ledger": _l("Penerimaan SP2D atau kartu instansi tidak sesuai buku besar"),
        "invoice_paid_differs": _l("Jumlah terbayar di tagihan berbeda dengan penerimaannya"),
        "card_payment_missing": _l("Pembayaran kartu instansi tidak ada di gateway"),
    }
)
def reconcile_receipts(period: Period) -> list[Difference]:
    """The receipts recorded in ``period`` against the ledger, their invoices and, for a
    card, the gateway's payment."""
    receipts = list(
        db.session.scalars(
            select(GovPayment)
            .where(GovPayment.created_at >= period.since, GovPayment.created_at < period.until)
            .order_by(GovPayment.id)
        )
    )
    differences: list[Difference] = []
    for receipt in receipts:
        booked = -int(
            db.session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                    LedgerEntry.event_key.startswith(f"gov-payment-{receipt.id}-part-"),
                    LedgerEntry.account == Account.BUYER_FUNDS.value,
                )
            )
        )
        if booked != receipt.amount:
            differences.append(
                Difference(
                    receipt.reference, str(booked), str(receipt.amount), "receipt_not_in_ledger"
                )
            )
        if receipt.method == PaymentMethod.CARD.value:
            paid = db.session.scalar(
                select(Payment.amount).where(
                    Payment.intent_id == receipt.reference,
                    Payment.status.in_(
                        [PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]
                    ),
                )
            )
            if paid != receipt.amount:
                differences.append(
                    Difference(
                        receipt.reference,
                        str(receipt.amount),
                        "" if paid is None else str(paid),
                        "card_payment_missing",
                    )
                )
    for invoice_id in sorted({receipt.invoice_id for receipt in receipts}):
        invoice = db.session.get(GovInvoice, invoice_id)
        assert invoice is not None
        received = sum(receipt.amount for receipt in invoice.payments)
        if received != invoice.paid_amount:
            differences.append(
                Difference(
                    invoice.document.number,
                    str(invoice.paid_amount),
                    str(received),
                    "invoice_paid_differs",
                )
            )
    return differences


# --- SP2D receipts against the bank's statement ----------------------------------------------


def _plain(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def _names(description: str, number: str) -> bool:
    """The credit's description names ``number`` (an SP2D or invoice number), however the
    bank spaced or punctuated it, and not as the start of a longer number."""
    wanted, text = _plain(number), _plain(description)
    if not wanted:
        return False
    for found in re.finditer(re.escape(wanted), text):
        before = text[found.start() - 1] if found.start() else ""
        after = text[found.end()] if found.end() < len(text) else ""
        if not (wanted[0].isdigit() and before.isdigit()) and not (
            wanted[-1].isdigit() and after.isdigit()
        ):
            return True
    return False


def _days(period: Period) -> tuple[dt.date, dt.date]:
    """The local days a period covers, both included."""
    return local_date(period.since), local_date(period.until - dt.timedelta(microseconds=1))


def _pair(
    receipts: list[GovPayment],
    credits: list[BankStatementLine],
    window: dt.timedelta,
    fits: Callable[[GovPayment, BankStatementLine], bool],
) -> dict[int, BankStatementLine]:
    """Receipts paired with credits that ``fits`` them within the window: the closest pairs
    first (a credit on or after its SP2D's day before one earlier), each used once."""
    pairs = sorted(
        (
            (credit.amount != receipt.amount, credit.booked_on < receipt.paid_on, gap, n, m)
            for n, receipt in enumerate(receipts)
            for m, credit in enumerate(credits)
            if (gap := abs(credit.booked_on - receipt.paid_on)) <= window and fits(receipt, credit)
        ),
    )
    paired: dict[int, BankStatementLine] = {}
    used: set[int] = set()
    for *_, n, m in pairs:
        if receipts[n].id not in paired and m not in used:
            paired[receipts[n].id] = credits[m]
            used.add(m)
    return paired


@reconciles(
    {
        "sp2d_not_in_bank": _l("SP2D tercatat tetapi tidak ada dana masuk di rekening koran bank"),
        "unknown_bank_credit": _l(
            "Dana masuk di rekening koran bank tidak cocok dengan SP2D yang tercatat"
        ),
        "sp2d_amount_differs": _l("Jumlah SP2D berbeda dengan dana masuk di bank"),
    }
)
def reconcile_bank_credits(period: Period) -> list[Difference]:
    """The SP2D receipts of ``period`` against the credits of the imported bank statement.

    A credit whose description names the SP2D or invoice number belongs to that receipt
    (another amount is a difference); the others are matched by amount, nearest day
    first, within ``SP2D_BANK_WINDOW_DAYS`` of the SP2D's date. An SP2D dated on a day no
    imported statement covers is not compared.
    """
    first, last = _days(period)
    window = dt.timedelta(days=int(setting("SP2D_BANK_WINDOW_DAYS")))
    credits = credits_between(first - 2 * window, last + 2 * window)
    receipts = list(
        db.session.scalars(
            select(GovPayment)
            .where(
                GovPayment.method == PaymentMethod.TRANSFER.value,
                GovPayment.paid_on >= first - window,
                GovPayment.paid_on <= last + window,
            )
            .order_by(GovPayment.paid_on, GovPayment.id)
        )
    )
    numbers = {r.id: (r.reference, r.invoice.document.number) for r in receipts}

    def named(receipt: GovPayment, credit: BankStatementLine) -> bool:
        return any(_names(credit.description, number) for number in numbers[receipt.id])

    # First the credits that name their SP2D or invoice, then by amount those naming none.
    matched = _pair(receipts, credits, window, named)
    taken = {credit.id for credit in matched.values()}
    left = [c for c in credits if c.id not in taken]
    unnamed = [c for c in left if not any(named(r, c) for r in receipts)]
    by_amount = _pair(
        [r for r in receipts if r.id not in matched],
        unnamed,
        window,
        lambda receipt, credit: credit.amount == receipt.amount,
    )
    matched.update(by_amount)
    taken |= {credit.id for credit in by_amount.values()}
    left = [c for c in credits if c.id not in taken]
    differences: list[Difference] = []
    for receipt in receipts:
        if not first <= receipt.paid_on <= last:
            continue
        credit = matched.get(receipt.id)
        if credit is None and is_covered(receipt.paid_on):
            differences.append(
                Difference(receipt.reference, str(receipt.amount), "", "sp2d_not_in_bank", "bank")
            )
        elif credit is not None and credit.amount != receipt.amount:
            differences.append(
                Difference(
                    receipt.reference,
                    str(receipt.amount),
                    f"{credit.amount} ({credit.booked_on.isoformat()})",
                    "sp2d_amount_differs",
                    "bank",
                )
            )
    for credit in left:
        if first <= credit.booked_on <= last:
            differences.append(
                Difference(
                    f"{credit.booked_on.isoformat()} {credit.reference or credit.description[:60]}",
                    "",
                    str(credit.amount),
                    "unknown_bank_credit",
                    "bank",
                )
            )
    return differences
