"""Applications to open a household shop, and the decisions on them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.models import PhotoVariants
from marketplace.db import UTCDateTime, db, now_utc

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Region


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


#: The application state machine. A rejected applicant applies again with a new application.
APPLICATION_MOVES: set[tuple[ApplicationStatus, ApplicationStatus]] = {
    (ApplicationStatus.PENDING, ApplicationStatus.APPROVED),
    (ApplicationStatus.PENDING, ApplicationStatus.REJECTED),
}


class SellerApplication(PhotoVariants, db.Model):
    """A signed-in person asking to open a household shop; a reviewer or admin decides."""

    __tablename__ = "seller_applications"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="known_status"),
        # one application under review per person: of two sent at once, the second is refused
        Index(
            "uq_seller_applications_user_id_pending",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shop_name: Mapped[str] = mapped_column(String(120))
    owner_name: Mapped[str] = mapped_column(String(120))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    village: Mapped[str] = mapped_column(String(120))
    #: E.164
    whatsapp: Mapped[str] = mapped_column(String(20))
    nib: Mapped[str | None] = mapped_column(String(20))
    story: Mapped[str] = mapped_column(Text, default="")
    #: the photo of the household or its products, stored like product photos
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    variant_widths: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.PENDING.value)
    #: the shop opened on approval
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    region: Mapped[Region] = relationship()
    changes: Mapped[list[SellerApplicationChange]] = relationship(
        back_populates="application",
        order_by="SellerApplicationChange.id.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def decision_note(self) -> str:
        """The reason given with the decision (a rejection's reason)."""
        if not self.changes:
            return ""
        return max(self.changes, key=lambda change: change.id or 0).note


class SellerApplicationChange(db.Model):
    """One decision on an application: who, when, and the reason."""

    __tablename__ = "seller_application_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("seller_applications.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    application: Mapped[SellerApplication] = relationship(back_populates="changes")
    actor: Mapped[User | None] = relationship()


class ShareVisit(db.Model):
    """Someone opened a link the household shared.

    One row per visitor per window (``shares.VISIT_WINDOW``): a reload or a second tap on
    the same link soon after is the same visit (the unique key is the backstop of the check).
    """

    __tablename__ = "share_visits"
    __table_args__ = (UniqueConstraint("seller_id", "visitor_key", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    #: a hash of the visitor's session token (never the address itself)
    visitor_key: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the page opened: /produk/<slug> or /toko/<slug>
    path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)


class ShareSale(db.Model):
    """A household's part of an order placed by a visitor who came through its share."""

    __tablename__ = "share_sales"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    order_part_id: Mapped[int] = mapped_column(
        ForeignKey("order_parts.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
