"""Protocol offices, their gift-box quotes, capacity holds and issued documents."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product, Seller
    from marketplace.catalog.options import ProductVariant


class QuoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    #: set by the checkout when an approved quote becomes an order (a later issue)
    ORDERED = "ordered"


QUOTE_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in QuoteStatus)


class DocumentKind(enum.StrEnum):
    QUOTATION = "quotation"
    #: Surat Pesanan: the institution's order, issued when the quote is approved
    ORDER_LETTER = "order_letter"
    #: surat jalan: one per household part, when it leaves the household
    DELIVERY_NOTE = "delivery_note"
    #: Berita Acara Serah Terima: what the officer confirmed as received
    HANDOVER = "handover"
    INVOICE = "invoice"
    #: kwitansi: the signed receipt the treasury pays against
    RECEIPT = "receipt"


#: The number prefix of each document kind: PNW/2026/0001, SP/2026/0001.
DOCUMENT_PREFIXES = {
    DocumentKind.QUOTATION: "PNW",
    DocumentKind.ORDER_LETTER: "SP",
    DocumentKind.DELIVERY_NOTE: "SJ",
    DocumentKind.HANDOVER: "BAST",
    DocumentKind.INVOICE: "INV",
    DocumentKind.RECEIPT: "KW",
}


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"


class PaymentMethod(enum.StrEnum):
    #: the treasury's bank transfer, referenced by its SP2D number
    TRANSFER = "transfer"
    #: the office's government credit card (KKP/KKPD) through the payment gateway
    CARD = "card"


class Institution(db.Model):
    """A government institution's protocol office that orders gift boxes."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    #: the office inside it, e.g. "Biro Umum Setda Provinsi Kaltara"
    unit: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(Text)
    npwp: Mapped[str] = mapped_column(String(32))
    treasurer_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    members: Mapped[list[InstitutionMember]] = relationship(
        back_populates="institution", order_by="InstitutionMember.id"
    )


class InstitutionMember(db.Model):
    """An officer of one institution; ``can_approve`` marks the head of office."""

    __tablename__ = "institution_members"
    # One institution per officer: every quote page authorises against it.
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    can_approve: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    institution: Mapped[Institution] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class BoxTemplate(db.Model):
    """A saved gift box: products and quantities per box, and the card text."""

    __tablename__ = "box_templates"
    __table_args__ = (
        # one template of a name in an office (saved twice at once, it is kept once); an
        # index, not a constraint: SQLite adds one without rebuilding the table, whose
        # rebuild would drop the templates' lines with it (ON DELETE CASCADE)
        Index("uq_box_templates_institution_id_name", "institution_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    card_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    lines: Mapped[list[BoxTemplateLine]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="BoxTemplateLine.id"
    )


class BoxTemplateLine(db.Model):
    __tablename__ = "box_template_lines"
    __table_args__ = (CheckConstraint("quantity_per_box > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("box_templates.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    #: the option (rasa, ukuran) chosen, when the product is sold by option
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL")
    )
    quantity_per_box: Mapped[int]

    template: Mapped[BoxTemplate] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    variant: Mapped[ProductVariant | None] = relationship()


class Quote(db.Model):
    """A price quotation (penawaran) for a number of identical gift boxes."""

    __tablename__ = "quotes"
    __table_args__ = (
        CheckConstraint(f"status IN ({QUOTE_STATUS_VALUES})", name="known_status"),
        CheckConstraint("box_count > 0", name="box_count_positive"),
        UniqueConstraint("number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: PNW/2026/0001, given when first submitted
    number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=QuoteStatus.DRAFT.value)
    event_name: Mapped[str] = mapped_column(String(200))
    #: kode anggaran / MAK the purchase is charged to
    budget_code: Mapped[str] = mapped_column(String(80))
    #: Kode RUP (procurement plan), when there is one
    rup_code: Mapped[str] = mapped_column(String(40), default="")
    #: the builder's token (``marketplace.once``): the same form sent twice makes one draft
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    box_count: Mapped[int]
    card_text: Mapped[str] = mapped_column(Text, default="")
    delivery_date: Mapped[dt.date] = mapped_column(Date)
    #: e.g. "09.00 WITA"
    delivery_time: Mapped[str] = mapped_column(String(40), default="")
    delivery_place: Mapped[str] = mapped_column(Text)
    #: last day the prices hold; set when submitted
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    #: whole rupiah: goods of every line
    goods_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: whole rupiah: the printed cards
    card_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: whole rupiah: flat shipping per household
    shipping_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: whole rupiah: PPN of the lines of VAT-registered households
    ppn_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: whole rupiah: what the institution pays
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: whole rupiah: PPh 22 the treasurer withholds from the households' payment
    pph22_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    renewed_from_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    institution: Mapped[Institution] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.id"
    )
    events: Mapped[list[QuoteEvent]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteEvent.id"
    )
    documents: Mapped[list[Document]] = relationship(back_populates="quote", order_by="Document.id")

    @property
    def net_payable_amount(self) -> int:
        """What reaches the marketplace after the treasurer keeps back PPh 22."""
        return self.total_amount - self.pph22_amount

    @property
    def is_editable(self) -> bool:
        return self.status in (QuoteStatus.DRAFT.value, QuoteStatus.RETURNED.value)


class QuoteLine(db.Model):
    """One product in every box, with the price and shop it was quoted at (a snapshot)."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        CheckConstraint("quantity_per_box > 0", name="quantity_positive"),
        CheckConstraint("unit_price_amount >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    product_name: Mapped[str] = mapped_column(String(120))
    #: the option chosen (a rasa, an ukuran), its label kept as quoted, like the name
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("product_variants.id"))
    variant_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    shop_name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(60), default="")
    quantity_per_box: Mapped[int]
    #: whole rupiah, per unit, at the time of quoting
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    #: the household was VAT-registered when quoted
    is_vat_registered: Mapped[bool] = mapped_column(default=False)

    quote: Mapped[Quote] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    variant: Mapped[ProductVariant | None] = relationship()
    seller: Mapped[Seller] = relationship()

    @property
    def quantity(self) -> int:
        return self.quantity_per_box * self.quote.box_count

    @property
    def line_amount(self) -> int:
        return self.unit_price_amount * self.quantity

    @property
    def full_name(self) -> str:
        """The name as quoted, with the option: "Amplang Tenggiri (Pedas / 250 g)"."""
        return (
            f"{self.product_name} ({self.variant_label})"
            if self.variant_label
            else self.product_name
        )


class QuoteEvent(db.Model):
    """One move of a quote's status: who, when, from, to and why."""

    __tablename__ = "quote_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    quote: Mapped[Quote] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class DocumentCounter(db.Model):
    """The last number given for one document kind in one year."""

    __tablename__ = "document_counters"
    __table_args__ = (UniqueConstraint("kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Document(db.Model):
    """An issued PDF. Never changed: a correction is a new document that ``replaces`` it."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(40))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), index=True)
    #: a government order's documents (surat jalan, BAST, invoice, kwitansi)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    #: the household part a surat jalan is for
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"))
    #: a document is replaced once, its replacement next (a unique index: SQLite adds one
    #: without rebuilding the table, which invoices and corrections refer to)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), unique=True, index=True
    )
    #: why a correction replaces the document it names
    reason: Mapped[str] = mapped_column(Text, default="")
    #: the PDF itself: documents are private, so they stay out of the public media store
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    quote: Mapped[Quote | None] = relationship(back_populates="documents")
    issued_by: Mapped[User | None] = relationship()

    @property
    def filename(self) -> str:
        return self.number.replace("/", "-") + ".pdf"


@event.listens_for(Document, "before_update")
def _documents_never_change(mapper, connection, document: Document) -> None:
    raise ValueError(f"document {document.number} was issued and cannot change")


class GovPart(db.Model):
    """A household's part of a government order: its deadline, answer and what arrived."""

    __tablename__ = "gov_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), unique=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    #: the last day the household may confirm or decline
    confirm_by: Mapped[dt.date] = mapped_column(Date)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    #: the part that took over a declined one's goods
    replaced_by_part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"))
    #: the officer confirmed what arrived
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_note: Mapped[str] = mapped_column(Text, default="")


class ReceivedLine(db.Model):
    """How many of one order line the officer found on delivery (the rest is a shortfall)."""

    __tablename__ = "received_lines"
    __table_args__ = (CheckConstraint("quantity_received >= 0", name="received_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True
    )
    part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), index=True
    )
    quantity_received: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


INVOICE_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in InvoiceStatus)
PAYMENT_METHOD_VALUES = ", ".join(f"'{method.value}'" for method in PaymentMethod)


class GovInvoice(db.Model):
    """What the institution owes for a government order, and how much of it is paid."""

    __tablename__ = "gov_invoices"
    __table_args__ = (
        CheckConstraint(f"status IN ({INVOICE_STATUS_VALUES})", name="known_status"),
        CheckConstraint("paid_amount >= 0", name="paid_not_negative"),
        CheckConstraint("paid_amount <= payable_amount", name="paid_within_payable"),
        CheckConstraint("payable_amount = total_amount - pph22_amount", name="payable_is_net"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    #: whole rupiah: the invoice total (goods received, cards, shipping, PPN)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah: PPh 22 the treasurer keeps back and pays to the state
    pph22_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    #: whole rupiah: what the treasury transfers
    payable_amount: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah
    paid_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(8), default=InvoiceStatus.OPEN.value)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[Document] = relationship()
    payments: Mapped[list[GovPayment]] = relationship(
        back_populates="invoice", order_by="GovPayment.id"
    )

    @property
    def outstanding_amount(self) -> int:
        return self.payable_amount - self.paid_amount


class GovPayment(db.Model):
    """One payment against a government invoice; its reference (SP2D number) is unique."""

    __tablename__ = "gov_payments"
    __table_args__ = (
        CheckConstraint(f"method IN ({PAYMENT_METHOD_VALUES})", name="known_method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("method", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("gov_invoices.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    #: whole rupiah
    amount: Mapped[int] = mapped_column(BigInteger)
    #: the SP2D number of a transfer, or the gateway's payment id of a card payment
    reference: Mapped[str] = mapped_column(String(120))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    invoice: Mapped[GovInvoice] = relationship(back_populates="payments")
