"""What is promised of a product beyond its stock: production days and holds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, now_utc


class ProductionDay(db.Model):
    """How many units of a made-to-order product checkout has taken from one day's making.

    ``units_capacity`` is the listing's ``daily_capacity`` when units were last taken
    (see ``inventory.stock.take_production``).
    """

    __tablename__ = "production_days"
    __table_args__ = (
        UniqueConstraint("product_id", "day"),
        CheckConstraint("units_taken >= 0", name="taken_not_negative"),
        CheckConstraint("units_taken <= units_capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    units_capacity: Mapped[int]
    units_taken: Mapped[int] = mapped_column(default=0)


class CapacityHold(db.Model):
    """A quantity of a product promised for a due date, kept until ``expires_at``.

    A hold counts against the household's stock and production days while it
    is neither released nor expired; an expired hold needs no clean-up to stop
    counting.
    """

    __tablename__ = "capacity_holds"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    #: the day the goods must be ready (the delivery date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
