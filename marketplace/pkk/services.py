"""Packaging review: the queue, and approving or sending back a submission.

Functions flush and never commit: the request commits once.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Category, Product, ProductStatus, ProductStatusChange, Region
from marketplace.catalog.services import change_product_status
from marketplace.db import db
from marketplace.errors import MarketplaceError, NotFound
from marketplace.sellers.models import Seller


class ReviewError(MarketplaceError):
    pass


def review_queue(region_slug: str | None = None, category_slug: str | None = None) -> list[Product]:
    """Products waiting for review, the longest-waiting first."""
    stmt = (
        select(Product)
        .join(Product.seller)
        .join(Seller.region)
        .join(Product.category)
        .where(Product.status == ProductStatus.PENDING_REVIEW.value)
        .options(
            joinedload(Product.seller).joinedload(Seller.region),
            joinedload(Product.category),
            selectinload(Product.photos),
        )
        .order_by(Product.submitted_at.asc(), Product.id.asc())
    )
    if region_slug:
        stmt = stmt.where(Region.slug == region_slug)
    if category_slug:
        stmt = stmt.where(Category.slug == category_slug)
    return list(db.session.scalars(stmt))


def get_submission(product_id: int) -> Product:
    """A product with everything a reviewer looks at: photos, licence, shop, history."""
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(
            joinedload(Product.seller).joinedload(Seller.region),
            joinedload(Product.category),
            selectinload(Product.photos),
            selectinload(Product.status_changes).joinedload(ProductStatusChange.actor),
        )
    )
    if product is None:
        raise NotFound("no such product")
    return product


def _check_reviewer(product: Product, reviewer: User) -> None:
    if product.status != ProductStatus.PENDING_REVIEW.value:
        raise ReviewError(_l("Produk ini tidak sedang menunggu tinjauan."))
    if product.seller.user_id == reviewer.id:
        raise ReviewError(_l("Anda tidak dapat meninjau produk toko Anda sendiri."))


def approve_product(
    product: Product, reviewer: User, note: str = "", seen_photo_keys: str | None = None
) -> None:
    """The packaging is fine: the product goes public.

    ``seen_photo_keys`` are the photos on the reviewer's page: when the seller added or
    removed one since, the approval is refused, so it never covers a photo nobody saw.
    """
    _check_reviewer(product, reviewer)
    if seen_photo_keys is not None and _keys(seen_photo_keys) != _keys(product.photo_keys):
        raise ReviewError(
            _l("Foto kemasan berubah sejak halaman ini dibuka. Periksa foto terbaru di bawah.")
        )
    change_product_status(product, ProductStatus.PUBLISHED, reviewer, note)


def _keys(photo_keys: str) -> set[str]:
    """Which photos, in any order: reordering the same photos needs no second look."""
    return set(filter(None, photo_keys.split(",")))


def request_changes(product: Product, reviewer: User, note: str) -> None:
    """Send the product back to the seller with what to fix."""
    _check_reviewer(product, reviewer)
    if not note.strip():
        raise ReviewError(
            _l("Tulis apa yang perlu diperbaiki, misalnya: label belum memuat nomor P-IRT."),
            field="note",
        )
    change_product_status(product, ProductStatus.CHANGES_REQUESTED, reviewer, note)
