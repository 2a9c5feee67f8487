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
    #: the gateway's refund id, once given back
    refund_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    order: Mapped[Order] = relationship()


class WebhookEvent(db.Model):
    """A gateway event already handled: the same id again changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
