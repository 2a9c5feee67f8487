"""The gateway events already handled: the same event id twice changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, now_utc


class WebhookEvent(db.Model):
    """A gateway event already handled: the same id again changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
