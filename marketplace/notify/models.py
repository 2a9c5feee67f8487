"""What the messaging seam stores: each message once, its deliveries, choices, phones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc
from marketplace.outbox import FAILED, QUEUED, SENDING, SENT

EMAIL, WHATSAPP, PUSH = "email", "whatsapp", "push"
CHANNELS = (EMAIL, WHATSAPP, PUSH)
SKIPPED = "skipped"
DELIVERY_STATUSES = (QUEUED, SENDING, SENT, FAILED, SKIPPED)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Notification(db.Model):
    """One message to one person, recorded once (``key``): the inbox entry and what is sent."""

    __tablename__ = "notifications"
    __table_args__ = (
        # A person's unread messages, newest last: the header counts them on every signed-in
        # page (``services.unread_count_of``), reading this index and never the messages a
        # household has read, thousands of them at its scale.
        Index(
            "ix_notifications_unread",
            "user_id",
            "id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: kind + the thing + the recipient: the same message asked twice is this one row
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: None for a buyer who ordered without an account (no inbox, e-mail and WhatsApp only)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60))
    #: plain values the kind's text is written from, in the reader's language when read
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the page of the thing itself, relative to the site (``/penjual/pesanan/12``)
    url: Mapped[str] = mapped_column(String(500))
    #: when the person must act by (a government order's confirmation): sorts the inbox
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(8), default="id")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="notification", order_by="Delivery.id"
    )


class Delivery(db.Model):
    """A message on one channel to one address: an outbox row, sent once by a job."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", "target"),
        CheckConstraint(f"channel IN ({_in(CHANNELS)})", name="known_channel"),
        CheckConstraint(f"status IN ({_in(DELIVERY_STATUSES)})", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    #: the e-mail address, the WhatsApp number (E.164) or the push subscription's id
    target: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, server_default=QUEUED)
    #: not before this moment (the end of quiet hours); the sweep queues it then
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the provider's id of what it accepted (``wamid.…``), or why the last attempt failed
    provider_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")


class ChannelChoice(db.Model):
    """The channels a person wants messages on; no row: every channel they can be reached on."""

    __tablename__ = "notification_choices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[bool] = mapped_column(default=True)
    whatsapp: Mapped[bool] = mapped_column(default=True)
    push: Mapped[bool] = mapped_column(default=True)


class PushSubscription(db.Model):
    """A browser that allowed notifications (Web Push): where to post and the keys to encrypt."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    #: the browser's public key (P-256, base64url) and auth secret, from PushSubscription.toJSON()
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the push service said the subscription is gone (404/410): no more sends to it
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
