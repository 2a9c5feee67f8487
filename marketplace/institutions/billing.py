"""What a government order costs once delivered: the BAST, the invoice, the kwitansi and
the treasury's payments against it. Functions flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.services import today_local
from marketplace.db import WITA, db, now_utc, update_if
from marketplace.errors import NotFound
from marketplace.institutions import documents, ledger
from marketplace.institutions.messages import tell_officer_of_invoice
from marketplace.institutions.models import (
    Document,
    DocumentKind,
    GovInvoice,
    GovPayment,
    InvoiceStatus,
    PaymentMethod,
    Quote,
    ReceivedLine,
)
from marketplace.institutions.orders import (
    GovOrderError,
    get_gov_order_for_officer_or_404,
    gov_parts_of,
    received_of,
)
from marketplace.institutions.settings import invoice_account, setting
from marketplace.money import payments
from marketplace.money.models import Payment, PaymentStatus
from marketplace.money.payments import settles_payments
from marketplace.money.services import split_largest_remainder
from marketplace.once import added_once, written_once
from marketplace.orders import lifecycle
from marketplace.orders.models import Order, OrderLine, OrderPart, OrderStatus, PartStatus
from marketplace.payments.gateway import GatewayError, Line
from marketplace.pkk.revenue import bills_government_lines
from marketplace.rupiah import format_rupiah


def _rate(amount: int, basis_points: int) -> int:
    return (amount * basis_points + 5000) // 10000


@dataclass
class BillLine:
    product_name: str
    shop_name: str
    unit: str
    ordered: int
    received: int
    unit_price_amount: int

    @property
    def shortfall(self) -> int:
        return self.ordered - self.received

    @property
    def amount(self) -> int:
        return self.received * self.unit_price_amount


@dataclass
class Bill:
    """The order as received: per line what arrived, and what the institution owes for it."""

    lines: list[BillLine] = field(default_factory=list)
    part_bills: list[ledger.PartBill] = field(default_factory=list)
    goods_amount: int = 0
    card_amount: int = 0
    shipping_amount: int = 0
    ppn_amount: int = 0
    pph22_amount: int = 0

    @property
    def total_amount(self) -> int:
        return self.goods_amount + self.card_amount + self.shipping_amount + self.ppn_amount

    @property
    def payable_amount(self) -> int:
        return self.total_amount - self.pph22_amount

    @property
    def has_shortfall(self) -> bool:
        return any(line.shortfall for line in self.lines)


def billed_quantity(line_id: int, received: dict[int, int]) -> int:
    """How many of an order line the invoice charges: what the officer counted on
    delivery, none when nothing was counted (``received`` is :func:`received_of`)."""
    return received.get(line_id, 0)


@bills_government_lines
def billed_quantity_sql():
    """:func:`billed_quantity` of each ``OrderLine`` in SQL, for the impact report."""
    counted = (
        select(ReceivedLine.quantity_received)
        .where(ReceivedLine.order_line_id == OrderLine.id)
        .scalar_subquery()
    )
    return func.coalesce(counted, 0)


def bill_of(order: Order, quote: Quote, *, as_ordered: bool = False) -> Bill:
    """The bill from the officer's count: only what arrived is charged, at quoted prices.

    ``as_ordered`` counts every line as if it all arrived: what a revised Surat Pesanan
    orders, under the same taxes and shipping the invoice will apply.
    """
    if as_ordered:
        received = {line.id: line.quantity for part in order.parts for line in part.lines}
    else:
        received = received_of(order)
    bill = Bill(card_amount=quote.card_amount)
    live = [p for p in order.parts if p.status != PartStatus.CANCELLED.value]
    per_part: list[tuple[OrderPart, int, int, int]] = []
    for part in live:
        goods = 0
        for line in part.lines:
            got = billed_quantity(line.id, received)
            bill.lines.append(
                BillLine(
                    line.full_name,
                    part.shop_name,
                    line.unit,
                    line.quantity,
                    got,
                    line.unit_price_amount,
                )
            )
            goods += got * line.unit_price_amount
        shipping = part.shipping_amount if goods else 0
        ppn = _rate(goods, setting("PPN_RATE_BP")) if part.seller.is_vat_registered else 0
        per_part.append((part, goods, shipping, ppn))
    bill.goods_amount = sum(goods for _p, goods, _s, _n in per_part)
    bill.shipping_amount = sum(s for _p, _g, s, _n in per_part)
    bill.ppn_amount = sum(n for _p, _g, _s, n in per_part)
    if bill.goods_amount > setting("PPH22_THRESHOLD_AMOUNT"):
        bill.pph22_amount = _rate(bill.goods_amount, setting("PPH22_RATE_BP"))
    goods_weights = [goods for _p, goods, _s, _n in per_part]
    pph_shares = (
        split_largest_remainder(bill.pph22_amount, goods_weights)
        if sum(goods_weights)
        else [0] * len(per_part)
    )
    for index, ((part, goods, shipping, ppn), pph) in enumerate(
        zip(per_part, pph_shares, strict=True)
    ):
        bill.part_bills.append(
            ledger.PartBill(
                part=part,
                goods_amount=goods,
                shipping_amount=shipping,
                ppn_amount=ppn,
                pph22_amount=pph,
                card_amount=bill.card_amount if index == 0 else 0,
            )
        )
    return bill


def invoice_of(order_id: int) -> GovInvoice | None:
    return db.session.scalar(select(GovInvoice).where(GovInvoice.order_id == order_id))


def handover_day(order_id: int) -> dt.date | None:
    """The local day the BAST was signed: its first issue (a correction keeps that day)."""
    signed = db.session.scalar(
        select(Document.issued_at)
        .where(Document.order_id == order_id, Document.kind == DocumentKind.HANDOVER.value)
        .order_by(Document.id)
        .limit(1)
    )
    return signed.astimezone(WITA).date() if signed is not None else None


ALREADY_ISSUED = _l("BAST, tagihan dan kwitansi pesanan ini sudah terbit.")


def issue_handover(order_id: int, user: User) -> GovInvoice:
    """Every live part received: issue the BAST, the invoice and the kwitansi, once; a
    second press (or a colleague's at the same moment) is told they are issued.

    The households' shares are written to the ledger in the same transaction (and,
    when on, advanced).
    """
    order = get_gov_order_for_officer_or_404(order_id, user)
    if invoice_of(order.id) is not None:
        raise GovOrderError(ALREADY_ISSUED)
    quote = db.session.get(Quote, order.quote_id)
    assert quote is not None
    govs = gov_parts_of(order)
    live = [p for p in order.parts if p.status != PartStatus.CANCELLED.value]
    if not live:
        raise GovOrderError(_l("Tidak ada bagian pesanan yang diterima."))
    waiting = [p.shop_name for p in live if govs[p.id].received_at is None]
    if waiting:
        raise GovOrderError(
            _l("Catat dulu penerimaan barang dari: %(shops)s.", shops=", ".join(waiting))
        )
    # Lock the order: of two officers pressing at once, one issues and one finds it issued.
    db.session.execute(update(Order).where(Order.id == order.id).values(status=Order.status))
    if invoice_of(order.id) is not None:
        raise GovOrderError(ALREADY_ISSUED)
    bill = bill_of(order, quote)
    context = {"bill": bill, "officer": user, "govs": govs, "account": invoice_account()}
    documents.issue_order_document(DocumentKind.HANDOVER, user, order=order, quote=quote, **context)
    invoice_doc = documents.issue_order_document(
        DocumentKind.INVOICE, user, order=order, quote=quote, **context
    )
    documents.issue_order_document(
        DocumentKind.RECEIPT,
        user,
        order=order,
        quote=quote,
        invoice_number=invoice_doc.number,
        **materai_of(bill),
        **context,
    )
    invoice = GovInvoice(
        order_id=order.id,
        document_id=invoice_doc.id,
        total_amount=bill.total_amount,
        pph22_amount=bill.pph22_amount,
        payable_amount=bill.payable_amount,
    )
    db.session.add(invoice)
    ledger.record_handover(bill.part_bills)
    db.session.flush()
    tell_officer_of_invoice(order, quote, invoice_doc.number, today_local())
    return invoice


def materai_of(bill) -> dict:
    """Whether a kwitansi of ``bill`` must bear a meterai: UU 10/2020 puts bea meterai
    Rp10.000 on a receipt of money above Rp5.000.000 (the setting)."""
    threshold = setting("MATERAI_THRESHOLD_AMOUNT")
    return {"needs_materai": bill.total_amount > threshold, "materai_threshold": threshold}


def correct_document(order_id: int, document_id: int, user: User, reason: str) -> Document:
    """A corrected copy under a new number that names the old one; the old one stays. A
    document is corrected once: its correction is corrected next."""
    order = get_gov_order_for_officer_or_404(order_id, user)
    old = db.session.get(Document, document_id)
    if old is None or old.order_id != order.id:
        raise NotFound(_l("Dokumen tidak ditemukan."))
    if not reason.strip():
        raise GovOrderError(_l("Tulis alasan koreksi."), field="reason")
    already = GovOrderError(_l("Dokumen ini sudah dikoreksi; koreksi dokumen penggantinya."))
    if db.session.scalar(select(Document.id).where(Document.replaces_id == old.id)):
        raise already
    quote = db.session.get(Quote, order.quote_id)
    kind = DocumentKind(old.kind)
    part = next((p for p in order.parts if p.id == old.part_id), None)
    context: dict = {}
    if kind is not DocumentKind.DELIVERY_NOTE:
        bill = bill_of(order, quote)
        context = {
            "bill": bill,
            "officer": user,
            "govs": gov_parts_of(order),
            "account": invoice_account(),
        }
        if kind is DocumentKind.RECEIPT:
            invoice = invoice_of(order.id)
            context.update(materai_of(bill))
            context["invoice_number"] = invoice.document.number if invoice else ""
    # Corrected twice at once (a double tap): both found no correction; the database takes
    # one document replacing ``old`` (its number and PDF go back with the second's refusal).
    reason = reason.strip()[:1000]
    with written_once(already):
        if kind is DocumentKind.ORDER_LETTER:
            # a Surat Pesanan is corrected as it is revised: its next revision, which
            # names it and lists the goods as they now stand
            ordered = bill_of(order, quote, as_ordered=True)
            new = documents.issue_revised_order_letter(
                quote, user, order=order, bill=ordered, reason=reason
            )
        else:
            new = documents.issue_order_document(
                kind,
                user,
                order=order,
                quote=quote,
                part=part,
                replaces=old,
                reason=reason,
                **context,
            )
    if kind is DocumentKind.INVOICE and (invoice := invoice_of(order.id)) is not None:
        invoice.document_id = new.id
    db.session.flush()
    return new


def order_documents(order: Order, quote: Quote) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where((Document.order_id == order.id) | (Document.quote_id == quote.id))
            .order_by(Document.id)
        )
    )


def spj_zip(order: Order, quote: Quote) -> bytes:
    """Every document of the order (corrections and what they replace) in one ZIP for the SPJ."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for doc in order_documents(order, quote):
            info = zipfile.ZipInfo(doc.filename, date_time=doc.issued_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, doc.content)
    return buffer.getvalue()


# -- payments -----------------------------------------------------------------------------


class PaymentRefused(GovOrderError):
    status_code = 400


def get_invoice_or_404(invoice_id: int) -> GovInvoice:
    invoice = db.session.scalar(
        select(GovInvoice)
        .where(GovInvoice.id == invoice_id)
        .options(selectinload(GovInvoice.payments), selectinload(GovInvoice.document))
    )
    if invoice is None:
        raise NotFound(_l("Tagihan tidak ditemukan."))
    return invoice


def record_payment(
    invoice_id: int,
    admin: User | None,
    *,
    amount: int,
    reference: str,
    paid_on: dt.date,
    method: PaymentMethod = PaymentMethod.TRANSFER,
) -> GovPayment:
    """The treasury's transfer (SP2D number and date) or a card payment against the invoice.

    Partial payments add up until the invoice is paid; more than is outstanding is
    refused, and the same reference twice is the same payment (returned, not added).
    """
    reference = reference.strip()
    if not reference:
        raise PaymentRefused(_l("Isi nomor SP2D."), field="reference")
    if (same := _same_payment(invoice_id, amount, method, reference)) is not None:
        return same
    if amount <= 0:
        raise PaymentRefused(_l("Jumlah pembayaran harus lebih dari nol."), field="amount")
    if paid_on > today_local():
        raise PaymentRefused(_l("Tanggal SP2D tidak boleh di masa depan."), field="paid_on")
    invoice = get_invoice_or_404(invoice_id)
    signed = handover_day(invoice.order_id)
    if signed is not None and paid_on < signed:
        # The treasury pays against a signed BAST: an SP2D dated before it is a typing error.
        raise PaymentRefused(
            _l(
                "Tanggal SP2D (%(paid)s) tidak boleh sebelum tanggal BAST (%(signed)s).",
                paid=paid_on.isoformat(),
                signed=signed.isoformat(),
            ),
            field="paid_on",
        )
    payment = GovPayment(
        invoice_id=invoice.id,
        method=method.value,
        amount=amount,
        reference=reference[:120],
        paid_on=paid_on,
        recorded_by_id=admin.id if admin else None,
    )
    # Written before the invoice moves: the same SP2D sent twice at once (a double tap) waits
    # here for the first and meets its number (unique), and moves nothing.
    if not added_once(payment):
        same = _same_payment(invoice_id, amount, method, reference)
        assert same is not None, "the reference's unique index refused the payment"
        return same
    # Guarded: the paid amount moves only if it stays within what is payable.
    moved = update_if(
        GovInvoice,
        invoice.id,
        GovInvoice.status == InvoiceStatus.OPEN.value,
        GovInvoice.paid_amount + amount <= GovInvoice.payable_amount,
        paid_amount=GovInvoice.paid_amount + amount,
    )
    db.session.refresh(invoice)
    if not moved:
        raise PaymentRefused(
            _l(
                "Pembayaran melebihi sisa tagihan (%(left)s).",
                left=format_rupiah(invoice.outstanding_amount),
            ),
            field="amount",
        )
    order = db.session.get(Order, invoice.order_id)
    assert order is not None
    live = [p for p in order.parts if p.status != PartStatus.CANCELLED.value]
    ledger.record_settlement(payment.id, live, amount)
    if invoice.paid_amount == invoice.payable_amount:
        db.session.execute(
            update(GovInvoice)
            .where(GovInvoice.id == invoice.id, GovInvoice.status == InvoiceStatus.OPEN.value)
            .values(status=InvoiceStatus.PAID.value, paid_at=now_utc())
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(invoice)
        lifecycle.move_order(
            order,
            OrderStatus.PAID,
            actor_kind="admin",
            actor_id=admin.id if admin else None,
            note=reference[:300],
        )
    db.session.flush()
    return payment


def _same_payment(
    invoice_id: int, amount: int, method: PaymentMethod, reference: str
) -> GovPayment | None:
    """The payment already recorded under this number: the same one again (returned), or
    another invoice's or amount's (refused)."""
    same = db.session.scalar(
        select(GovPayment).where(
            GovPayment.method == method.value, GovPayment.reference == reference[:120]
        )
    )
    if same is not None and (same.invoice_id != invoice_id or same.amount != amount):
        raise PaymentRefused(
            _l("Nomor SP2D ini sudah dicatat untuk pembayaran lain."), field="reference"
        )
    return same


# -- the office's government card (KKP/KKPD), through the checkout's payment gateway ------


def start_card_payment(order_id: int, user: User, gateway) -> tuple[object, str]:
    """Open a card payment of what is outstanding; a reload finds the open one.

    Returns the payment and where the office pays: the gateway's page (Stripe
    Checkout), or "" to pay on ours ("Mode uji"). The gateway's answer comes back
    through the checkout's webhook, which hands a government order's payment to
    :func:`record_card_payment`.
    """

    order = get_gov_order_for_officer_or_404(order_id, user)
    invoice = invoice_of(order.id)
    if invoice is None or invoice.status != InvoiceStatus.OPEN.value:
        raise GovOrderError(_l("Belum ada tagihan terbuka untuk dibayar."))
    open_payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order.id,
            Payment.status == PaymentStatus.PENDING.value,
            Payment.amount == invoice.outstanding_amount,
        )
        .order_by(Payment.id.desc())
    )
    if open_payment is not None:
        if not gateway.hosted:
            return open_payment, ""
        try:
            intent = gateway.retrieve_intent(open_payment.intent_id)
        except GatewayError as error:
            raise GovOrderError(
                _l("Pembayaran belum bisa dimulai. Coba lagi sebentar lagi.")
            ) from error
        if intent.redirect_url and intent.status == "open":
            return open_payment, intent.redirect_url
        # that page can no longer be paid (expired): open the next attempt
    attempts = db.session.scalar(
        select(func.count()).select_from(Payment).where(Payment.order_id == order.id)
    )
    back = url_for("institutions.gov_order", order_id=order.id, _external=True)
    attempt = payments.NewAttempt(
        order_id=order.id,
        amount=invoice.outstanding_amount,
        email=user.email or order.contact_email,
        idempotency_key=f"gov-invoice-{invoice.id}-attempt-{(attempts or 0) + 1}",
        # on Stripe Checkout the office sees the invoice as one line
        lines=(
            Line(
                gettext("Tagihan %(number)s", number=invoice.document.number),
                invoice.outstanding_amount,
            ),
        ),
        success_url=back,
        cancel_url=back,
    )
    intent = payments.create_intent(attempt, gateway)
    payment = payments.record_payment(attempt, intent, gateway.name)
    return payment, intent.redirect_url if gateway.hosted else ""


@settles_payments
def record_card_payment(order: Order, payment: Payment) -> bool | None:
    """A card payment of a government order succeeded: it pays the invoice like a transfer.

    None for a shop order (not ours); False when the invoice no longer owes that much
    (the money layer gives the money back).
    """
    if order.quote_id is None:
        return None
    invoice = invoice_of(order.id)
    if invoice is None:
        return False
    try:
        with db.session.begin_nested():
            record_payment(
                invoice.id,
                None,
                amount=payment.amount,
                reference=payment.intent_id,
                paid_on=today_local(),
                method=PaymentMethod.CARD,
            )
    except PaymentRefused:
        return False
    return True
