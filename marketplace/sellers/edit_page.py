"""What the household's product edit page (GET ``/penjual/produk/<id>``) shows of one of its
products, read as rows from statements built once: its columns, its photos and its history.

Saving still loads the ORM object (the services change it); showing the form only reads,
and the ORM's loading of the product, its shop, category, photos, history and options cost
more than the rest of the page's own work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select

from marketplace.catalog.models import (
    PhotoComment,
    PricedNow,
    Product,
    ProductPhoto,
    ProductStatusChange,
    Seller,
)
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import CoverPhoto
from marketplace.db import read_rows


@dataclass(frozen=True)
class PagePhoto(CoverPhoto):
    """One of the product's photos, with its id (the photo's actions name it)."""

    id: int


@dataclass(frozen=True, slots=True)
class PageComment:
    photo_key: str
    note: str


@dataclass(frozen=True)
class PageChange:
    """One move of the product's status, with the reviewer's per-photo comments."""

    id: int
    created_at: dt.datetime
    from_status: str
    to_status: str
    note: str
    photo_comments: list[PageComment]

    comment_for = ProductStatusChange.comment_for


@dataclass(frozen=True)
class ProductPage(PricedNow):
    """The product as its edit page and ``ProductForm.fill_from`` read it: plain values.

    The page's rules on a review (the latest note, the comments per photo, where a photo
    is now) are ``Product``'s own methods, borrowed: they read only ``status``, ``photos``
    and ``status_changes``, which these values have too, so each rule keeps one home.
    """

    id: int
    name: str
    status: str
    category_id: int
    price_amount: int
    promotion_discount: int
    is_made_to_order: bool
    stock: int
    daily_capacity: int | None
    lead_time_days: int
    weight_grams: int
    unit: str
    description: str
    pirt_number: str | None
    bpom_number: str | None
    halal_number: str | None
    shelf_life_days: int | None
    #: how many active options it has (the page only counts them)
    option_count: int
    photos: list[PagePhoto]
    #: newest first, as ``Product.status_changes``
    status_changes: list[PageChange]

    latest_change = Product.latest_change
    latest_note = Product.latest_note
    photo_number = Product.photo_number
    review_comment_for = Product.review_comment_for
    review_photo_comments = Product.review_photo_comments

    @property
    def options(self) -> range:
        """Stands for ``Product.options`` where the page only asks whether there are any
        and how many."""
        return range(self.option_count)


@cache
def _statements():
    """The page's three statements, built once (building them cost about as much as running
    them): the product if it is this person's shop's (another shop's is not found), its
    photos, and its history with the comments per photo."""
    options = (
        select(func.count(ProductVariant.id))
        .where(ProductVariant.product_id == Product.id, ProductVariant.is_active)
        .correlate(Product)
        .scalar_subquery()
    )
    product = (
        select(
            Product.id,
            Product.name,
            Product.status,
            Product.category_id,
            Product.price_amount,
            # named: a column_property's unlabelled key under Core (``read_rows``) is anon
            Product.promotion_discount.label("promotion_discount"),
            Product.is_made_to_order,
            Product.stock,
            Product.daily_capacity,
            Product.lead_time_days,
            Product.weight_grams,
            Product.unit,
            Product.description,
            Product.pirt_number,
            Product.bpom_number,
            Product.halal_number,
            Product.shelf_life_days,
            options.label("option_count"),
        )
        .join(Seller, Seller.id == Product.seller_id)
        .where(Product.id == bindparam("product_id"), Seller.user_id == bindparam("user_id"))
    )
    photos = (
        select(
            ProductPhoto.key,
            ProductPhoto.width,
            ProductPhoto.height,
            ProductPhoto.variant_widths,
            ProductPhoto.id,
        )
        .where(ProductPhoto.product_id == bindparam("product_id"))
        .order_by(ProductPhoto.position)
    )
    history = (
        select(
            ProductStatusChange.id,
            ProductStatusChange.created_at,
            ProductStatusChange.from_status,
            ProductStatusChange.to_status,
            ProductStatusChange.note,
            PhotoComment.photo_key,
            PhotoComment.note,
        )
        .outerjoin(PhotoComment, PhotoComment.status_change_id == ProductStatusChange.id)
        .where(ProductStatusChange.product_id == bindparam("product_id"))
        .order_by(ProductStatusChange.id.desc(), PhotoComment.id)
    )
    return product, photos, history


def product_page_of_user(user_id: int, product_id: int) -> ProductPage | None:
    """The product of this person's shop as its edit page shows it, or None (not theirs,
    or no such product)."""
    product_stmt, photos_stmt, history_stmt = _statements()
    row = read_rows(product_stmt, {"product_id": product_id, "user_id": user_id}).first()
    if row is None:
        return None
    params = {"product_id": product_id}
    photos = [PagePhoto(*columns) for columns in read_rows(photos_stmt, params)]
    changes: dict[int, PageChange] = {}
    for change_id, created_at, from_status, to_status, note, key, comment in read_rows(
        history_stmt, params
    ):
        change = changes.get(change_id)
        if change is None:
            change = changes[change_id] = PageChange(
                change_id, created_at, from_status, to_status, note, []
            )
        if key is not None:
            change.photo_comments.append(PageComment(key, comment))
    return ProductPage(**row._asdict(), photos=photos, status_changes=list(changes.values()))
