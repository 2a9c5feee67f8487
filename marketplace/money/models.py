"""Money's rows: the append-only ledger, payouts, and buyers' payments and refunds.

Every money event in the ledger is a set of entries that sums to zero.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc

if TYPE_CHECKING:
    from marketplace.catalog.models import Seller
    from marketplace.orders.models import Order, OrderPart


class Account(enum.StrEnum):
    #: money received from buyers (negative: it came in)
    BUYER_FUNDS = "buyer_funds"
    #: money given back to buyers (positive: it went out)
    REFUNDS = "refunds"
    #: what the platform kept
    PLATFORM_COMMISSION = "platform_commission"
    #: a household's share, waiting for its part to be delivered
    SELLER_PENDING = "seller_pending"
    #: a household's shipping money, waiting with its share (the household pays the courier)
    SHIPPING = "shipping"
    #: a household's money ready for the next payout
    SELLER_AVAILABLE = "seller_available"
    #: a household's money already paid out
    SELLER_PAID_OUT = "seller_paid_out"
    #: a household's money in a payout not yet confirmed by the bank or Stripe
    PAYOUTS_IN_TRANSIT = "payouts_in_transit"
    #: what the treasury still owes for a government order (negative: owed to us)
    GOVERNMENT_RECEIVABLE = "government_receivable"
    #: PPh 22 the treasurer withholds from a household's share: the government's, not unpaid
    GOVERNMENT_PPH22 = "government_pph22"
    #: the platform's own money advanced to households before the treasury pays
    PLATFORM_ADVANCE = "platform_advance"
    #: what a payment provider kept of a payment (Midtrans' price per method); the
    #: platform bears it, out of its commission
    PAYMENT_FEES = "payment_fees"
    #: what the platform itself sold on a household's bill (a government order's printed
    #: cards, carried on its first part): neither commission nor the household's
    PLATFORM_SALES = "platform_sales"
    #: voucher discounts the platform paid to households in the buyers' stead (negative, as
    #: buyer funds: the platform's money came in; the PKK's campaigns are the platform's too)
    PLATFORM_VOUCHERS = "platform_vouchers"


class LedgerEntry(db.Model):
    """One leg of a money event; rows are only ever inserted, never changed or deleted.

    An event key names one event for one order part (``part-12-paid``), so every
    account appears at most once per event: the unique ``(event_key, account)``
    makes writing the same event twice impossible on every database (a nullable
    column in the key would not, NULLs being distinct).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("event_key", "account", name="uq_ledger_entries_event_key_account"),
        # Every column a household's sums read (balances, sales, what waits per part).
        Index(
            "ix_ledger_entries_seller_sums",
            "seller_id",
            "account",
            "order_part_id",
            "amount",
            "event_key",
            "created_at",
        ),
        # The platform's accounts summed over every household (the government position).
        Index("ix_ledger_entries_account_amount", "account", "amount"),
        # A household's entries of one month (its statement).
        Index("ix_ledger_entries_seller_created", "seller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(80), index=True)
    account: Mapped[str] = mapped_column(String(32))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    order_part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"), index=True)
    #: whole rupiah, signed; the entries of one event sum to zero
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, flush_context, instances) -> None:
    """The ORM backstop: a ledger row is never changed or deleted, only added."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LedgerEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise LedgerIsAppendOnly("ledger entries are append-only; write a correction")


class SellerLedgerSum(db.Model):
    """A household's ledger entries summed per account, WITA month and kind: derived data,
    kept in the same flush as the entries (see ``money/ledger_sums.py``), so its pages read
    a few rows instead of every entry. ``flask payouts check-balances`` recomputes it.
    """

    __tablename__ = "seller_ledger_sums"
    __table_args__ = (
        # per account and kind, with the amounts: the earnings page sums them from the
        # index alone, in its order, with no sort
        Index(
            "ix_seller_ledger_sums_account_kind",
            "seller_id",
            "account",
            "kind",
            "month",
            "amount",
        ),
    )

    # (CASCADE: the application deletes no household or part; a test's teardown does)
    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    account: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: the first day of the month (WITA) the entries were written in
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    #: "sale" (a credit not of a refund), "refund" (a leg of a refund), "other"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: whole rupiah, signed
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class PartWaitingSum(db.Model):
    """What of one order part's money waits (pending share and shipping): derived data, kept
    with the entries; only the rows not at zero are read (a partial index holds them)."""

    __tablename__ = "part_waiting_sums"
    __table_args__ = (
        Index(
            "ix_part_waiting_sums_waiting",
            "seller_id",
            sqlite_where=text("amount <> 0"),
            postgresql_where=text("amount <> 0"),
        ),
    )

    # (CASCADE: the application deletes no household or part; a test's teardown does)
    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )
    order_part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), primary_key=True
    )
    #: whole rupiah, signed
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class PayoutMethod(enum.StrEnum):
    BANK = "bank"
    EWALLET = "ewallet"
    STRIPE = "stripe"


def _values(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_type)


class PayoutAccount(db.Model):
    """Where a household is paid: one current account per household.

    A change bumps ``version`` and clears ``verified_at``: an admin checks it again
    before the next payout. Every change is kept in :class:`PayoutAccountChange`.
    """

    __tablename__ = "payout_accounts"
    __table_args__ = (CheckConstraint(f"method IN ({_values(PayoutMethod)})", name="known_method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), unique=True)
    method: Mapped[str] = mapped_column(String(16))
    #: the bank's code (BI sandi bank), e.g. "002" for BRI
    bank_code: Mapped[str] = mapped_column(String(8), default="")
    account_number: Mapped[str] = mapped_column(String(34), default="")
    holder_name: Mapped[str] = mapped_column(String(120), default="")
    #: "ovo", "gopay", "dana", "shopeepay"
    wallet_provider: Mapped[str] = mapped_column(String(16), default="")
    #: E.164
    wallet_number: Mapped[str] = mapped_column(String(20), default="")
    stripe_account_id: Mapped[str] = mapped_column(String(64), default="")
    #: payouts enabled at Stripe, from ``account.updated``
    stripe_payouts_enabled: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: a change of where the money goes is not paid into before this moment (24 hours)
    payouts_held_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    seller: Mapped[Seller] = relationship()

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class PayoutAccountChange(db.Model):
    """Who changed or checked a payout account, when, and from what to what (masked)."""

    __tablename__ = "payout_account_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_account_id: Mapped[int] = mapped_column(ForeignKey("payout_accounts.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: "created", "changed", "verified", "stripe"
    kind: Mapped[str] = mapped_column(String(16))
    old_masked: Mapped[str] = mapped_column(String(160), default="")
    new_masked: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


class PayoutStatus(enum.StrEnum):
    #: computed, money moved to in transit, waiting for the bank batch or the transfer
    CREATED = "created"
    #: in a disbursement batch the admin downloaded
    EXPORTED = "exported"
    PAID = "paid"
    #: the bank or Stripe refused it: the money went back to available
    FAILED = "failed"


class PayoutRun(db.Model):
    """One start of a payout run (the command or the admin page), with what it did."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the run day (WITA); a household is paid at most once per run day
    period: Mapped[dt.date] = mapped_column(Date, index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_count: Mapped[int] = mapped_column(default=0)
    #: one line per household skipped, with the reason
    notes: Mapped[str] = mapped_column(Text, default="")


class DisbursementBatch(db.Model):
    """Bank and e-wallet payouts exported together as one CSV for the bank."""

    __tablename__ = "disbursement_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def reference(self) -> str:
        return batch_reference(self.id)


def batch_reference(batch_id: int) -> str:
    """A bank batch as people read it: ``BATCH-00012``."""
    return f"BATCH-{batch_id:05d}"


class Payout(db.Model):
    """Money paid to one household by one run: the account it goes to is kept as it was
    when the run computed it (a later change of account does not redirect it)."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("seller_id", "period", name="uq_payouts_seller_id_period"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"status IN ({_values(PayoutStatus)})", name="known_status"),
        CheckConstraint(f"method IN ({_values(PayoutMethod)})", name="known_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payout_runs.id"))
    period: Mapped[dt.date] = mapped_column(Date)
    #: run day + household + last ledger entry counted: the same balance never pays twice
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    balance_through_entry_id: Mapped[int] = mapped_column(BigInteger)
    #: whole rupiah
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=PayoutStatus.CREATED.value)
    method: Mapped[str] = mapped_column(String(16))
    #: the account as it was at calculation: version, and where the money goes
    account_version: Mapped[int]
    bank_code: Mapped[str] = mapped_column(String(8), default="")
    account_number: Mapped[str] = mapped_column(String(34), default="")
    holder_name: Mapped[str] = mapped_column(String(120), default="")
    wallet_provider: Mapped[str] = mapped_column(String(16), default="")
    wallet_number: Mapped[str] = mapped_column(String(20), default="")
    stripe_account_id: Mapped[str] = mapped_column(String(64), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("disbursement_batches.id"), index=True)
    #: the bank's reference for the transfer, or Stripe's transfer id (tr_...)
    reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    #: what Stripe transfers were reversed for refunds after this payout (whole rupiah)
    reversed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    seller: Mapped[Seller] = relationship()

    @property
    def number(self) -> str:
        return payout_number(self.id)


def payout_number(payout_id: int) -> str:
    """A payout as people read it: ``PO-000123``."""
    return f"PO-{payout_id:06d}"


class PartComplaint(db.Model):
    """A buyer reported a problem with a shipped part: its money waits for an admin."""

    __tablename__ = "part_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_parts.id"), unique=True)
    message: Mapped[str] = mapped_column(String(1000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: an admin's settlement: "released" (to the household) or "refunded" (to the buyer)
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolution_note: Mapped[str] = mapped_column(String(300), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    part: Mapped[OrderPart] = relationship()


# -- the buyer's payments at the gateway and the refunds of them ------------------------


def _values(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_type)


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class Payment(db.Model):
    """One payment attempt at the gateway (a Stripe PaymentIntent, or a test payment)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(PaymentStatus)})", name="known_status"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    #: "stripe", "midtrans" or "test"
    gateway: Mapped[str] = mapped_column(String(16))
    #: the method the buyer picked at a gateway of several (``qris``, ``bca``, ``gopay``…;
    #: keys of ``payments.midtrans_gateway.METHODS``); "" for a card or "Mode uji"
    method: Mapped[str] = mapped_column(String(24), default="", server_default="")
    #: what the payment page shows to pay it: the gateway's answer when it was opened
    instructions: Mapped[dict | None] = mapped_column(JSON)
    #: the gateway's id, e.g. pi_...
    intent_id: Mapped[str] = mapped_column(String(120), unique=True)
    client_secret: Mapped[str] = mapped_column(String(200), default="")
    #: "order-<id>-attempt-<n>": one intent per attempt, however often the page is loaded
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    #: whole rupiah
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.PENDING.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    order: Mapped[Order] = relationship()


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"


class RefundReason(enum.StrEnum):
    #: paid after the order expired, and its stock was gone
    LATE_NO_STOCK = "late_no_stock"
    #: a second payment for an order already paid
    DUPLICATE = "duplicate"
    #: the buyer cancelled one household's part before it was shipped
    PART_CANCELLED = "part_cancelled"
    #: an admin gave money back (a complaint, a damaged parcel), in part or in full
    ADMIN = "admin"


class Refund(db.Model):
    """Money given back: recorded with the state change, sent to the gateway after commit.

    ``part_id`` names the household whose share is reversed (none for a whole payment).
    """

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"status IN ({_values(RefundStatus)})", name="known_status"),
        CheckConstraint(f"reason IN ({_values(RefundReason)})", name="known_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    part_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_parts.id", ondelete="SET NULL"), index=True
    )
    #: whole rupiah
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.PENDING.value)
    #: the admin who decided it; none for refunds the rules made
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: what the gateway is asked with, so a retry never refunds twice
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    #: the gateway's id (re_...), once it took the refund
    gateway_refund_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship()


class BankDirection(enum.StrEnum):
    #: money into the account (kredit)
    CREDIT = "CR"
    #: money out of the account (debet)
    DEBIT = "DB"


class BankStatement(db.Model):
    """One upload of the platform's bank statement (rekening koran, mutasi rekening) of the
    account treasuries pay invoices into; the days it covers are its lines' first and last."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    #: lines in the file, and how many of them were not imported before
    line_count: Mapped[int]
    new_line_count: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the upload form's token (``marketplace.once``): the same upload sent twice is one
    #: statement (a unique index: SQLite adds one without rebuilding the table its lines
    #: refer to)
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class BankStatementLine(db.Model):
    """One line of the bank's statement, stored once however often it is uploaded."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"direction IN ({_values(BankDirection)})", name="known_direction"),
        Index("ix_bank_statement_lines_direction_booked_on", "direction", "booked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the first upload that held it
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    #: what makes the line itself (day, direction, amount, reference, description and its
    #: place among identical lines), hashed: the same line imported twice is one row
    line_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: the bank's booking day (local)
    booked_on: Mapped[dt.date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(2))
    #: whole rupiah
    amount: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(300), default="")
    reference: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
