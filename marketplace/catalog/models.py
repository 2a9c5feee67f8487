"""What is sold and by whom: household shops, products with their photos, by category and region."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy import false as sa_false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from marketplace.catalog.halal import halal_certificate_number
from marketplace.db import UTCDateTime, db, local_date, now_utc
from marketplace.locales import current_locale
from marketplace.pagecache import watch

if TYPE_CHECKING:
    from marketplace.accounts.models import User


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

#: The product state machine: every allowed move, and who makes it. Nothing else moves a
#: product; a seller can never publish, only a reviewer's approval does.
PRODUCT_MOVES: dict[tuple[ProductStatus, ProductStatus], str] = {
    (ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW): "seller",
    (ProductStatus.CHANGES_REQUESTED, ProductStatus.PENDING_REVIEW): "seller",
    (ProductStatus.PENDING_REVIEW, ProductStatus.PUBLISHED): "reviewer",
    (ProductStatus.PENDING_REVIEW, ProductStatus.CHANGES_REQUESTED): "reviewer",
    (ProductStatus.PUBLISHED, ProductStatus.PAUSED): "seller",
    (ProductStatus.PAUSED, ProductStatus.PUBLISHED): "seller",
    # Packaging photos changed after approval: back to the queue (see sellers.services).
    (ProductStatus.PUBLISHED, ProductStatus.PENDING_REVIEW): "seller",
    (ProductStatus.PAUSED, ProductStatus.PENDING_REVIEW): "seller",
}


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
    #: where couriers collect parcels: a kecamatan of the household's kabupaten/kota
    #: (Kemendagri code, ``65.71.03``) and one of its postal codes; "" until the household
    #: sets them (parcels then start from the postal code of the kabupaten/kota's seat)
    pickup_district: Mapped[str] = mapped_column(String(8), default="", server_default="")
    pickup_postal_code: Mapped[str] = mapped_column(String(5), default="", server_default="")
    #: E.164
    whatsapp: Mapped[str] = mapped_column(String(20))
    nib: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=SellerStatus.ACTIVE.value)
    since_year: Mapped[int | None]
    #: registered for VAT (PKP): its quotes to institutions carry PPN
    is_vat_registered: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: visible reviews of the shop's products: the sum of their stars and how many
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")

    region: Mapped[Region] = relationship()
    user: Mapped[User] = relationship()
    products: Mapped[list[Product]] = relationship(back_populates="seller")

    @property
    def whatsapp_link(self) -> str:
        return "https://wa.me/" + self.whatsapp.lstrip("+")


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
        locale = current_locale()
        return self.name_en if locale and locale.language == "en" else self.name


class PricedNow:
    """The one reader of a price now, for a product and for each of its options: the list
    price (``price_amount``) less the best live promotion (``promotion_discount``, a column
    property at the one clock; ``catalog.pricing``), in Python and in SQL (filters,
    sorting)."""

    @hybrid_property
    def price_now(self) -> int:
        """What one unit sells for now, whole rupiah."""
        return self.price_amount - (self.promotion_discount or 0)

    @price_now.inplace.expression
    @classmethod
    def _price_now_expression(cls):
        return cls.price_amount - cls.promotion_discount

    @property
    def on_promotion(self) -> bool:
        """A live promotion lowers the price now: pages strike the list price through."""
        return bool(self.promotion_discount)


class Product(PricedNow, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("kind IN ('food', 'craft')", name="known_kind"),
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="known_status"),
        Index("ix_products_status_published_at", "status", "published_at"),
        Index("ix_products_status_price_amount", "status", "price_amount"),
        # a household's dashboard reads one page, newest change first, from the index
        Index("ix_products_seller_id_updated_at", "seller_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    #: the listed price, whole rupiah, as the household typed it; read ``price_now``
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
    #: food a home industry may not make under P-IRT: "BPOM RI MD 123456789012" (no end date)
    bpom_number: Mapped[str | None] = mapped_column(String(40))
    halal_number: Mapped[str | None] = mapped_column(String(60))
    shelf_life_days: Mapped[int | None]
    lead_time_days: Mapped[int] = mapped_column(default=0)
    #: made to order: how many the household can make in a day
    daily_capacity: Mapped[int | None]
    #: visible reviews: the sum of their stars and how many, kept with each review
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: from the create form; a repeated submit finds the product instead of making a second
    #: (a unique index rather than a constraint: SQLite adds one without rebuilding the table,
    #: which would drop the search triggers)
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    #: the token of the options form last applied (``sellers.variants``): sent twice, once
    options_token: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=ProductStatus.DRAFT.value)
    #: name, description, category, shop and region, lower-cased and without accents
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when it last went into the review queue (the queue is oldest first)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when the PKK last approved its packaging; shown to buyers
    packaging_approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    seller: Mapped[Seller] = relationship(back_populates="products")
    category: Mapped[Category] = relationship()
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product",
        order_by="ProductPhoto.position",
        cascade="all, delete-orphan",
    )
    status_changes: Mapped[list[ProductStatusChange]] = relationship(
        back_populates="product",
        order_by="ProductStatusChange.id.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def cover(self) -> ProductPhoto | None:
        return self.photos[0] if self.photos else None

    # ``variants`` (its options, in the household's order, the deactivated ones too) is
    # set by ``catalog.options``, which holds the option model.

    @property
    def options(self) -> list:
        """The options a buyer chooses from (active variants); none: the product itself."""
        return [variant for variant in self.variants if variant.is_active]

    @property
    def prices_differ(self) -> bool:
        """Its options sell at different prices: cards say "mulai" before the lowest."""
        return len({variant.price_amount for variant in self.options}) > 1

    def option(self, variant_id: int | None):
        """The active option with this id, or None."""
        return next((v for v in self.options if v.id == variant_id), None)

    def photo_by_key(self, key: str | None) -> ProductPhoto | None:
        return next((photo for photo in self.photos if photo.key == key), None) if key else None

    @property
    def is_food(self) -> bool:
        return self.kind == ProductKind.FOOD.value

    @property
    def halal_certificate(self) -> str | None:
        """The halal certificate number, only when it is one the halal authority issues:
        pages never call other text (an old free-text entry) a certificate."""
        return halal_certificate_number(self.halal_number)

    @property
    def has_food_licence(self) -> bool:
        return bool(self.pirt_number or self.bpom_number)

    @property
    def photo_keys(self) -> str:
        """The content hashes of the photos, in order: what a review decision is bound to."""
        return ",".join(photo.key for photo in self.photos)

    def approved_photo_keys(self) -> str | None:
        """The photos the last approval saw, or None when never approved."""
        approvals = [
            change
            for change in self.status_changes
            if change.from_status == ProductStatus.PENDING_REVIEW.value
            and change.to_status == ProductStatus.PUBLISHED.value
        ]
        if not approvals:
            return None
        return max(approvals, key=lambda change: change.id or 0).photo_keys

    @property
    def latest_change(self) -> ProductStatusChange | None:
        if not self.status_changes:
            return None
        return max(self.status_changes, key=lambda change: change.id or 0)

    @property
    def latest_note(self) -> str:
        """The comment on the last move (a reviewer's request for changes), if any."""
        change = self.latest_change
        return change.note if change else ""

    def photo_number(self, key: str) -> int | None:
        """Where the photo with this content hash is now (1 is the cover), or None if gone."""
        for index, photo in enumerate(self.photos, start=1):
            if photo.key == key:
                return index
        return None

    def review_comment_for(self, photo: ProductPhoto) -> str:
        """The reviewer's comment on this photo while the product awaits changes."""
        change = self.latest_change
        if self.status != ProductStatus.CHANGES_REQUESTED.value or change is None:
            return ""
        return change.comment_for(photo.key)

    @property
    def review_photo_comments(self) -> list[tuple[ProductPhoto | None, str]]:
        """Each per-photo comment of the request for changes, with its photo if still there."""
        change = self.latest_change
        if self.status != ProductStatus.CHANGES_REQUESTED.value or change is None:
            return []
        by_key = {photo.key: photo for photo in self.photos}
        return [(by_key.get(c.photo_key), c.note) for c in change.photo_comments]


class PhotoVariants:
    """What a stored photo offers a template: its WebP variants and their sizes.

    The class using it has ``key``, ``width``, ``height`` and ``variant_widths``.
    """

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


class ProductPhoto(PhotoVariants, db.Model):
    """A packaging or product photo, stored as WebP variants under a content hash."""

    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    #: sha256 of the cleaned image (mode, size, pixels); variants live at photos/<key>/<width>.webp
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    #: the variant widths stored, comma-separated ascending, e.g. "320,480,640,1280"
    variant_widths: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="photos")


class PhotoUpload(PhotoVariants, db.Model):
    """A photo a seller has uploaded but not yet attached to a product.

    Stored before the rest of the form is checked, so a form that comes back
    with an error keeps the photos already sent over a slow connection.
    """

    __tablename__ = "photo_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    variant_widths: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


class ProductStatusChange(db.Model):
    """One move of a product's status: who, when, from where to where, and why."""

    __tablename__ = "product_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: the product's photos (content hashes, in order) when the move was made
    photo_keys: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    product: Mapped[Product] = relationship(back_populates="status_changes")
    actor: Mapped[User | None] = relationship()
    photo_comments: Mapped[list[PhotoComment]] = relationship(
        back_populates="status_change", order_by="PhotoComment.id", cascade="all, delete-orphan"
    )

    def comment_for(self, key: str) -> str:
        """What the reviewer wrote about the photo with this content hash, if anything."""
        return next((c.note for c in self.photo_comments if c.photo_key == key), "")


class PhotoComment(db.Model):
    """A reviewer's comment on one photo in a decision, bound to the photo's content hash.

    The hash, not the photo row: the comment stays in the history when the seller
    replaces or removes the photo it was about.
    """

    __tablename__ = "photo_comments"
    __table_args__ = (UniqueConstraint("status_change_id", "photo_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status_change_id: Mapped[int] = mapped_column(
        ForeignKey("product_status_changes.id", ondelete="CASCADE")
    )
    photo_key: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)

    status_change: Mapped[ProductStatusChange] = relationship(back_populates="photo_comments")


class LicenceReminder(db.Model):
    """A household was told that a food licence (SPP-IRT) is about to end.

    One row per product and end date: running the reminder twice tells nobody twice,
    and a renewed licence (a new end date) is reminded about again in its time.
    """

    __tablename__ = "licence_reminders"
    __table_args__ = (UniqueConstraint("product_id", "licence_valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    licence_valid_until: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()


class SearchSynonym(db.Model):
    """A word buyers type and a word or phrase of the listings it means.

    ``krupuk`` means ``kerupuk``, ``crab`` means ``kepiting``, ``shrimp paste`` means
    ``terasi``. Both sides are stored folded (lower case, plain letters and digits, one
    space between words), as search cuts a query. A word may mean several things (one
    row each). The PKK and admins extend the table on their page.
    """

    __tablename__ = "search_synonyms"
    __table_args__ = (UniqueConstraint("word", "means"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(60), index=True)
    means: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


# Public pages show these rows: a change to any of them moves the catalogue version.
class PromotionKind(enum.StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


class Promotion(db.Model):
    """A household's own discount on one of its products for a period (Hari Ibu, Lebaran).

    ``percent``: ``value`` percent off the list price (rounded down to whole rupiah);
    ``amount``: ``value`` rupiah off, never below zero. The period is whole WITA days:
    ``starts_at`` is midnight WITA of the first day, ``ends_at`` midnight WITA after the
    last (exclusive), both stored in UTC. Whole days keep public pages right with the page
    cache keyed by the WITA day (``marketplace.pagecache``): a promotion appears at the
    first visit of its first day and goes at the first visit after its last, with no job
    and no edit. The household pays for it: the goods are sold for less.
    """

    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'amount')", name="known_kind"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent' OR value <= 90", name="percent_at_most_90"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_promotions_product_id_ends_at", "product_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    #: percent, or whole rupiah
    value: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the household ended it early (the row is kept: order lines name it)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the form's token (``marketplace.once``): the same form sent twice adds one promotion
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    product: Mapped[Product] = relationship()

    def discount_on(self, list_price: int) -> int:
        """Whole rupiah off ``list_price``."""
        if self.kind == PromotionKind.PERCENT.value:
            return list_price * self.value // 100
        return min(self.value, list_price)

    @property
    def first_day(self) -> dt.date:
        return local_date(self.starts_at)

    @property
    def last_day(self) -> dt.date:
        return local_date(self.ends_at - dt.timedelta(seconds=1))


def _promotion_now():
    return bindparam("promotion_now", callable_=now_utc, type_=UTCDateTime())


def live_promotions(product_id):
    """SQL: the product's promotions in force at the one clock (evaluated per statement)."""
    now = _promotion_now()
    return and_(
        Promotion.product_id == product_id,
        Promotion.cancelled_at.is_(None),
        Promotion.starts_at <= now,
        Promotion.ends_at > now,
    )


def promotion_discount_sql(list_price, value=None, kind=None):
    """SQL: whole rupiah off ``list_price`` by a promotion row (as ``discount_on``)."""
    value = Promotion.value if value is None else value
    kind = Promotion.kind if kind is None else kind
    return case(
        (kind == PromotionKind.PERCENT.value, (list_price * value) // 100),
        (value > list_price, list_price),
        else_=value,
    )


#: The best live promotion's discount, whole rupiah (0 without one): ``price_now`` reads it.
Product.promotion_discount = column_property(
    select(func.coalesce(func.max(promotion_discount_sql(Product.price_amount)), 0))
    .where(live_promotions(Product.id))
    .correlate_except(Promotion)
    .scalar_subquery()
)

# (Synonyms change what a search finds, so they move it too.)
watch(Region, Category, Seller, Product, ProductPhoto, Promotion, SearchSynonym)
