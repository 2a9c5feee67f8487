"""What is promised of a product beyond its stock: production days and holds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.db import UTCDateTime, db, now_utc, today_local
from marketplace.pagecache import watch


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
    #: the option held, when the product has options (it counts against the product too)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("product_variants.id"), index=True)
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    #: the day the goods must be ready (the delivery date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


class ShopClosure(db.Model):
    """A household away (a wedding in the village, Lebaran): its shop is closed from
    ``starts_on`` through ``ends_on`` (WITA days), with a message for its buyers.

    Nothing is bought from it or promised for delivery within those days
    (``capacity.closed_for_sale``, ``capacity.check_fit``); it reopens by itself the day
    after ``ends_on``, by the date alone.
    """

    __tablename__ = "shop_closures"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    message: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: the household opened again before the end (the row is kept: who was closed when)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the form's token (``marketplace.once``): the same form sent twice closes the shop once
    idempotency_token: Mapped[str | None] = mapped_column(String(64), unique=True)


# Public pages show a closed shop's notice: a closure moves the catalogue version.
watch(ShopClosure)


# -- the stock the public can buy ----------------------------------------------------------


def held_units(
    product_id: ColumnElement[int] | None,
    exclude_quote_id: int | None = None,
    *,
    variant_id: ColumnElement[int] | None = None,
):
    """SQL: units of a product (or of one of its options) that live holds promise (not
    released, not expired, not yet due), except one quote's own. Evaluated at each
    statement, by the one clock."""
    live = and_(
        CapacityHold.product_id == product_id
        if variant_id is None
        else CapacityHold.variant_id == variant_id,
        CapacityHold.released_at.is_(None),
        CapacityHold.expires_at > bindparam("hold_now", callable_=now_utc, type_=UTCDateTime()),
        CapacityHold.due_on >= bindparam("hold_today", callable_=today_local, type_=Date()),
    )
    if exclude_quote_id is not None:
        live = and_(
            live, or_(CapacityHold.quote_id.is_(None), CapacityHold.quote_id != exclude_quote_id)
        )
    return (
        select(func.coalesce(func.sum(CapacityHold.quantity), 0))
        .where(live)
        .correlate_except(CapacityHold)
        .scalar_subquery()
    )


def stock_for_sale_of(exclude_quote_id: int | None = None) -> ColumnElement[int]:
    """SQL: a stock product's stock minus what institutions' quotes hold of it, never below
    zero (a made-to-order product's holds are served by its production days instead)."""
    left = Product.stock - held_units(Product.id, exclude_quote_id)
    return case(
        (Product.is_made_to_order, Product.stock),
        (left > 0, left),
        else_=0,
    )


def variant_stock_for_sale_of(exclude_quote_id: int | None = None) -> ColumnElement[int]:
    """SQL: an option's stock minus what quotes hold of it, never below zero."""
    left = ProductVariant.stock - held_units(None, exclude_quote_id, variant_id=ProductVariant.id)
    return case((left > 0, left), else_=0)


#: The stock the public sees and can buy: product pages, cards, the cart and checkout all
#: read this one figure (``inventory.stock.take_stock`` takes within it).
Product.stock_for_sale = column_property(stock_for_sale_of())
#: The same for one option (a product with options is bought by option).
ProductVariant.stock_for_sale = column_property(variant_stock_for_sale_of())


def _in_stock(product: Product) -> bool:
    return product.is_made_to_order or product.stock_for_sale > 0


Product.in_stock = property(_in_stock)
