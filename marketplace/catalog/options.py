"""A product's options (rasa, ukuran): the model, with its price now, and the product's
``variants`` and ``has_price_range`` that read them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from marketplace.catalog.models import (
    PricedNow,
    Product,
    ProductPhoto,
    Promotion,
    live_promotions,
    promotion_discount_sql,
)
from marketplace.db import UTCDateTime, db, now_utc
from marketplace.pagecache import watch


class ProductVariant(PricedNow, db.Model):
    """One option of a product (a rasa, an ukuran: "Pedas / 250 g") with its own price,
    stock, weight and photo.

    A product without active variants sells as itself. With them, the buyer chooses one;
    the product's own ``price_amount`` is kept as its options' lowest list price and its
    ``stock`` as the sum of their stock (``sellers.variants`` and ``inventory.stock`` are
    the only writers), so cards, filters, sorting and "Stok habis" read the product as
    before. A made-to-order product's options share its daily capacity. The photo is one
    of the product's photos (by content hash): the PKK reviews it like any other.
    """

    __tablename__ = "product_variants"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_amount > 0", name="price_positive"),
        CheckConstraint("weight_grams > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    #: what the buyer chooses, e.g. "Pedas / 250 g"
    label: Mapped[str] = mapped_column(String(60))
    #: the list price, whole rupiah; read ``price_now``
    price_amount: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(default=0)
    weight_grams: Mapped[int]
    #: the content hash of one of the product's photos, if it has its own
    photo_key: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    #: deactivated options stay (order lines name them) but are not sold
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def photo(self) -> ProductPhoto | None:
        return self.product.photo_by_key(self.photo_key)


#: An option's best live promotion, by the same rule on its own list price.
ProductVariant.promotion_discount = column_property(
    select(func.coalesce(func.max(promotion_discount_sql(ProductVariant.price_amount)), 0))
    .where(live_promotions(ProductVariant.product_id))
    .correlate_except(Promotion)
    .scalar_subquery()
)

#: Its active options sell at more than one list price: cards say "mulai" before
#: ``price_now`` (the lowest). A subquery, so a list of cards needs no query more.
Product.has_price_range = column_property(
    select(func.count(func.distinct(ProductVariant.price_amount)) > 1)
    .where(ProductVariant.product_id == Product.id, ProductVariant.is_active)
    .correlate_except(ProductVariant)
    .scalar_subquery()
)

#: its options, in the household's order, the deactivated ones too
Product.variants = relationship(
    ProductVariant,
    back_populates="product",
    order_by=(ProductVariant.position, ProductVariant.id),
    cascade="all, delete-orphan",
)

watch(ProductVariant)


def copy_options(source: Product, target: Product) -> None:
    """Give ``target`` (a copy of ``source``) the active options of ``source``."""
    for variant in source.options:
        target.variants.append(
            ProductVariant(
                label=variant.label,
                price_amount=variant.price_amount,
                stock=variant.stock,
                weight_grams=variant.weight_grams,
                photo_key=variant.photo_key,
                position=variant.position,
            )
        )
