"""Household shops."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product, Region


class SellerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Seller(db.Model):
    """A household home industry (IRT) and its shop."""

    __tablename__ = "sellers"
    __table_args__ = (CheckConstraint("status IN ('active', 'suspended')", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    shop_name: Mapped[str] = mapped_column(String(120))
    owner_name: Mapped[str] = mapped_column(String(120))
    story: Mapped[str] = mapped_column(Text, default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    village: Mapped[str] = mapped_column(String(120))
    #: E.164
    whatsapp: Mapped[str] = mapped_column(String(20))
    nib: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=SellerStatus.ACTIVE.value)
    since_year: Mapped[int | None]
    #: registered for VAT (PKP): its quotes to institutions carry PPN
    is_vat_registered: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    region: Mapped[Region] = relationship()
    user: Mapped[User] = relationship()
    products: Mapped[list[Product]] = relationship(back_populates="seller")

    @property
    def whatsapp_link(self) -> str:
        return "https://wa.me/" + self.whatsapp.lstrip("+")
