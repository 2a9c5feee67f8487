"""What the PKK records: the help households get, who sees which kabupaten, official gifts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc
from marketplace.pagecache import watch

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product, Region, Seller

#: Which households attended which training session.
training_attendances = Table(
    "training_attendances",
    db.metadata,
    Column(
        "training_session_id",
        ForeignKey("training_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seller_id", ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TrainingSession(db.Model):
    """A training the PKK held (e.g. "Kemasan dan label P-IRT"), and who came."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    topic: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the form's token (``marketplace.once``): the same form sent twice records once
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    attendees: Mapped[list[Seller]] = relationship(
        secondary=training_attendances, order_by="Seller.shop_name"
    )


class PackagingHelp(db.Model):
    """Hands-on packaging help for one product: what was done."""

    __tablename__ = "packaging_helps"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    #: the product's household, kept so reports need not join through products
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    given_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the form's token (``marketplace.once``): the same form sent twice records once
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    product: Mapped[Product] = relationship()
    seller: Mapped[Seller] = relationship()


class CapitalAssistance(db.Model):
    """Capital assistance (bantuan modal) to a household, in money or in kind."""

    __tablename__ = "capital_assistances"
    __table_args__ = (CheckConstraint("value_amount >= 0", name="value_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    #: e.g. "Disperindagkop UMKM Provinsi Kaltara"
    giver: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[dt.date] = mapped_column(Date)
    #: what was given, e.g. "mesin jahit" or "modal usaha"
    description: Mapped[str] = mapped_column(String(300))
    #: whole rupiah
    value_amount: Mapped[int] = mapped_column(BigInteger)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the form's token (``marketplace.once``): the same form sent twice records once
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    seller: Mapped[Seller] = relationship()


class ReviewerScope(db.Model):
    """The kabupaten a reviewer works for; no row (or no region) means the whole province."""

    __tablename__ = "reviewer_scopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship()
    region: Mapped[Region | None] = relationship()


class OfficialGift(db.Model):
    """A product in the PKK's "Oleh-oleh resmi" collection, recommended for guests."""

    __tablename__ = "official_gifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), unique=True
    )
    #: ascending: the order the collection is shown in
    position: Mapped[int] = mapped_column(default=0, index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    product: Mapped[Product] = relationship()


# The official gifts show on the home page: a change moves the catalogue version.
watch(OfficialGift)
