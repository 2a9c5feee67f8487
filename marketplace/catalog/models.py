"""What is sold: products with their photos, by category and region."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from flask_babel import get_locale
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import UTCDateTime, db, now_utc

if TYPE_CHECKING:
    from marketplace.sellers.models import Seller


class ProductKind(enum.StrEnum):
    FOOD = "food"
    CRAFT = "craft"


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    PAUSED = "paused"
    ARCHIVED = "archived"


STATUS_VALUES = ", ".join(f"'{status.value}'" for status in ProductStatus)


class Region(db.Model):
    """A kabupaten or kota of Kalimantan Utara."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    #: "kabupaten" or "kota"
    kind: Mapped[str] = mapped_column(String(16))
    capital: Mapped[str] = mapped_column(String(80))
    #: BPS/Kemendagri code, also digits 4-7 of a P-IRT number (6571 = Tarakan)
    code: Mapped[str] = mapped_column(String(4), unique=True)


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("kind IN ('food', 'craft')", name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(default=0)

    @property
    def label(self) -> str:
        """The name in the visitor's language (category names are data, not msgids)."""
        locale = get_locale()
        return self.name_en if locale and locale.language == "en" else self.name


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("kind IN ('food', 'craft')", name="known_kind"),
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="known_status"),
        Index("ix_products_status_published_at", "status", "published_at"),
        Index("ix_products_status_price_amount", "status", "price_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    #: whole rupiah
    price_amount: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(default=0)
    is_made_to_order: Mapped[bool] = mapped_column(default=False)
    weight_grams: Mapped[int] = mapped_column(default=0)
    #: what one unit is, e.g. "bungkus 250 g"
    unit: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(8))
    #: the printed form, e.g. "2026571010123-29"; food only
    pirt_number: Mapped[str | None] = mapped_column(String(40))
    #: last day the SPP-IRT certificate is valid; an ended licence hides a food product
    licence_valid_until: Mapped[dt.date | None] = mapped_column(Date)
    halal_number: Mapped[str | None] = mapped_column(String(60))
    shelf_life_days: Mapped[int | None]
    lead_time_days: Mapped[int] = mapped_column(default=0)
    #: how many a made-to-order household can make per working day; None: not told
    daily_capacity: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default=ProductStatus.DRAFT.value)
    #: name, description, category, shop and region, lower-cased and without accents
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    seller: Mapped[Seller] = relationship(back_populates="products")
    category: Mapped[Category] = relationship()
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product",
        order_by="ProductPhoto.position",
        cascade="all, delete-orphan",
    )

    @property
    def cover(self) -> ProductPhoto | None:
        return self.photos[0] if self.photos else None

    @property
    def is_food(self) -> bool:
        return self.kind == ProductKind.FOOD.value

    @property
    def in_stock(self) -> bool:
        return self.is_made_to_order or self.stock > 0


class ProductPhoto(db.Model):
    """A packaging or product photo, stored as WebP variants under a content hash."""

    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    #: sha256 of the cleaned image; variants live at photos/<key>/<width>.webp
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    #: the variant widths stored, comma-separated ascending, e.g. "320,480,640,1280"
    variant_widths: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="photos")

    @property
    def widths(self) -> list[int]:
        return [int(w) for w in self.variant_widths.split(",") if w]

    def variant_key(self, width: int) -> str:
        return f"photos/{self.key}/{width}.webp"

    def fallback_width(self, limit: int = 640) -> int:
        """The variant for browsers without srcset: the largest up to ``limit``."""
        fitting = [w for w in self.widths if w <= limit]
        return fitting[-1] if fitting else self.widths[0]

    def height_at(self, width: int) -> int:
        return round(self.height * width / self.width)


class CatalogState(db.Model):
    """One row whose version moves whenever anything a public page shows changes.

    Cached pages are keyed by it, so a change of listing, price or stock in any
    process makes every process render afresh.
    """

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
