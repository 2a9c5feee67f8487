"""Payments at the gateway and the gateway events already handled."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc
from marketplace.orders.models import Order


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
    #: "stripe" or "test"
    gateway: Mapped[str] = mapped_column(String(16))
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


class WebhookEvent(db.Model):
    """A gateway event already handled: the same id again changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
