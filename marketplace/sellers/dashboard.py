"""The household's dashboard (``/penjual``): its shop's heading and one page of its products
as plain values, read as rows from statements built once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from marketplace.catalog.models import (
    PhotoComment,
    Product,
    ProductKind,
    ProductStatus,
    ProductStatusChange,
    Seller,
)
from marketplace.catalog.services import CoverPhoto, photos_of
from marketplace.db import read_rows
from marketplace.paging import Page, paginate
from marketplace.sellers.models import ShareVisit
from marketplace.sellers.shares import ShareCounts, counts_of, month_start, share_counts_columns

#: products on one page of the household's dashboard
PRODUCTS_PER_PAGE = 20
_CHANGES_REQUESTED = ProductStatus.CHANGES_REQUESTED.value
_FOOD = ProductKind.FOOD.value


@dataclass(frozen=True, slots=True)
class ShopHeading:
    """What the household's dashboard shows of its own shop, with this month's visits and
    sales through its links."""

    id: int
    slug: str
    shop_name: str
    village: str
    share_counts: ShareCounts


@cache
def _heading_statement():
    since = bindparam("since", type_=ShareVisit.created_at.type)
    return select(
        Seller.id,
        Seller.slug,
        Seller.shop_name,
        Seller.village,
        *share_counts_columns(Seller.id, since),
    ).where(Seller.user_id == bindparam("user_id"))


def shop_heading_of_user(user_id: int, today: dt.date) -> ShopHeading | None:
    """The household's shop and its share counts for ``today``'s month (one statement)."""
    row = read_rows(_heading_statement(), {"user_id": user_id, "since": month_start(today)})
    found = row.first()
    if found is None:
        return None
    seller_id, slug, shop_name, village, *counts = found
    return ShopHeading(seller_id, slug, shop_name, village, counts_of(*counts))


class DashboardProduct(NamedTuple):
    """One product of the household's dashboard as the list shows it: plain values, in the
    order the list's loop unpacks them."""

    id: int
    name: str
    price_now: int
    status: str
    kind: str
    licence_valid_until: dt.date | None
    is_made_to_order: bool
    stock: int
    cover: CoverPhoto | None
    #: its photos, in order (where a commented photo is now)
    photos: list[CoverPhoto]
    #: while changes are requested: the reviewer's note and per-photo comments
    latest_note: str
    review_photo_comments: list[tuple[CoverPhoto | None, str]]

    @property
    def is_food(self) -> bool:
        return self.kind == _FOOD

    def photo_number(self, key: str) -> int | None:
        """As ``Product.photo_number``: 1 is the cover, None when the photo is gone."""
        keys = [photo.key for photo in self.photos]
        return keys.index(key) + 1 if key in keys else None


@cache
def _dashboard_statements():
    """The dashboard's statements, built once (building them cost about as much as running
    them): a page of products, and the request for changes of those awaiting changes (only
    the last move of such a product is shown: note and comments)."""
    page = (
        select(
            Product.id,
            Product.name,
            Product.price_amount,
            # named: a column_property's unlabelled key under Core (``read_rows``) is anon
            Product.promotion_discount.label("promotion_discount"),
            Product.status,
            Product.kind,
            Product.licence_valid_until,
            Product.is_made_to_order,
            Product.stock,
        )
        .where(
            Product.seller_id == bindparam("seller_id"),
            Product.status != ProductStatus.ARCHIVED.value,
        )
        .order_by(Product.updated_at.desc(), Product.id.desc())
    )
    ids = bindparam("ids", expanding=True)
    earlier = aliased(ProductStatusChange)
    latest = (
        select(func.max(earlier.id))
        .where(earlier.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    requests = (
        select(Product.id, ProductStatusChange.note, PhotoComment.photo_key, PhotoComment.note)
        .select_from(Product)
        .join(ProductStatusChange, ProductStatusChange.id == latest)
        .outerjoin(PhotoComment, PhotoComment.status_change_id == ProductStatusChange.id)
        .where(Product.id.in_(ids), Product.status == ProductStatus.CHANGES_REQUESTED.value)
        .order_by(PhotoComment.id)
    )
    return page, requests


def list_seller_products(seller_id: int, page: int = 1) -> Page[DashboardProduct]:
    """One page of the seller's own products, newest first, with what the dashboard shows:
    the page's columns, its photos, and the request for changes of those awaiting changes
    (three statements at most, rows rather than objects)."""
    page_stmt, requests_stmt = _dashboard_statements()
    products = paginate(
        page_stmt, page, PRODUCTS_PER_PAGE, rows=True, params={"seller_id": seller_id}
    )
    if not products.items:
        return products
    photos = photos_of([row.id for row in products.items])
    notes: dict[int, str] = {}
    comments: dict[int, list[tuple[str, str]]] = {}
    # only a product awaiting changes shows its request: none on the page, nothing to read
    awaiting = [row.id for row in products.items if row.status == _CHANGES_REQUESTED]
    if awaiting:
        for product_id, note, photo_key, comment in read_rows(requests_stmt, {"ids": awaiting}):
            notes[product_id] = note
            if photo_key is not None:
                comments.setdefault(product_id, []).append((photo_key, comment))

    def shown(row) -> DashboardProduct:
        product_id, name, price, discount, status, kind, licence, to_order, stock = row
        own = photos.get(product_id, [])
        asked = comments.get(product_id)
        return DashboardProduct(
            product_id,
            name,
            price - (discount or 0),
            status,
            kind,
            licence,
            to_order,
            stock,
            own[0] if own else None,
            own,
            notes.get(product_id, ""),
            _where_photos_are(asked, own) if asked else [],
        )

    products.items = [shown(row) for row in products.items]
    return products


def _where_photos_are(
    comments: list[tuple[str, str]], photos: list[CoverPhoto]
) -> list[tuple[CoverPhoto | None, str]]:
    """Each comment with the photo it was made on, or None where that photo is gone."""
    by_key = {photo.key: photo for photo in photos}
    return [(by_key.get(key), comment) for key, comment in comments]
