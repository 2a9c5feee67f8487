"""Write, reply to, hide and read reviews.

Every function flushes and never commits. A review moves its product's and its
shop's rating sum and count in the same transaction (plain conditional UPDATEs),
and every change bumps the catalogue version, so a cached product page shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace.catalog.models import Product, Seller
from marketplace.db import db, now_utc, update_if
from marketplace.errors import MarketplaceError, NotFound, clean_reason
from marketplace.numbers import NumberError, parse_whole
from marketplace.orders.models import Order, OrderLine, OrderPart, PartStatus
from marketplace.pagecache import bump_catalog_version
from marketplace.paging import Page, paginate
from marketplace.reviews.models import MAX_TEXT, Review

MAX_HIDE_REASON = 300
#: reviews shown on a product page
PAGE_SIZE = 20


class ReviewError(MarketplaceError):
    pass


class AlreadyDone(ReviewError):
    status_code = 409


def clean_rating(raw: str | int | None) -> int:
    try:
        return parse_whole(str(raw if raw is not None else ""), minimum=1, maximum=5)
    except NumberError:
        raise ReviewError(_l("Pilih 1 sampai 5 bintang."), field="rating") from None


def clean_text(raw: str | None, field: str = "body") -> str:
    text = (raw or "").strip()
    if not text:
        raise ReviewError(_l("Tulis ulasan Anda."), field=field)
    if len(text) > MAX_TEXT:
        raise ReviewError(
            _l("Paling banyak %(n)s karakter (sekarang %(now)s).", n=MAX_TEXT, now=len(text)),
            field=field,
        )
    return text


# --- the buyer ----------------------------------------------------------------------------


@dataclass
class Reviewable:
    """A line of an order as its buyer sees it on the order page."""

    line: OrderLine
    part: OrderPart
    review: Review | None

    @property
    def can_review(self) -> bool:
        return (
            self.review is None
            and self.part.status == PartStatus.DELIVERED.value
            and self.line.product_id is not None
        )


def reviews_of_order(order: Order) -> dict[int, Review]:
    """The order's reviews by order line id."""
    return {
        review.order_line_id: review
        for review in db.session.scalars(select(Review).where(Review.order_id == order.id))
    }


def line_of_order(order: Order, line_id: int) -> Reviewable:
    """One line of this order, or NotFound: another order's line does not exist here."""
    line = db.session.scalar(
        select(OrderLine)
        .join(OrderLine.part)
        .where(OrderLine.id == line_id, OrderPart.order_id == order.id)
        .options(joinedload(OrderLine.part))
    )
    if line is None:
        raise NotFound(_l("Produk ini tidak ada di pesanan Anda."))
    review = db.session.scalar(select(Review).where(Review.order_line_id == line.id))
    return Reviewable(line, line.part, review)


def write_review(
    order: Order, line_id: int, *, rating: str | int | None, body: str | None, buyer_id: int | None
) -> Review:
    """The buyer of a delivered part rates one of its products, once."""
    item = line_of_order(order, line_id)
    if item.review is not None:
        raise AlreadyDone(_l("Anda sudah mengulas produk ini."))
    if item.part.status != PartStatus.DELIVERED.value:
        raise ReviewError(_l("Produk bisa diulas setelah pesanannya sampai."))
    if item.line.product_id is None:
        raise ReviewError(_l("Produk ini tidak dijual lagi."))
    stars = clean_rating(rating)
    text = clean_text(body)
    review = Review(
        order_line_id=item.line.id,
        order_id=order.id,
        product_id=item.line.product_id,
        seller_id=item.part.seller_id,
        buyer_id=buyer_id,
        author_name=(order.contact_name.split() or ["?"])[0][:60],
        rating=stars,
        body=text,
    )
    try:
        # The unique order line refuses a concurrent twin here; the savepoint keeps the
        # rest of the unit of work usable.
        with db.session.begin_nested():
            db.session.add(review)
    except IntegrityError as error:
        raise AlreadyDone(_l("Anda sudah mengulas produk ini.")) from error
    _count(review, +1)
    return review


def _count(review: Review, sign: int) -> None:
    """Add (or take back) a visible review's stars on its product and its shop."""
    if review.product_id is not None:
        _add_stars(Product, review.product_id, review.rating, sign)
    _add_stars(Seller, review.seller_id, review.rating, sign)
    bump_catalog_version()
    db.session.flush()


def _add_stars(model: type[Product] | type[Seller], row_id: int, rating: int, sign: int) -> None:
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values(
            rating_sum=model.rating_sum + sign * rating,
            rating_count=model.rating_count + sign,
        )
        .execution_options(synchronize_session=False)
    )


# --- the household ------------------------------------------------------------------------


#: reviews on one page of the household's reviews
REVIEWS_PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class SellerReview:
    """One review on the household's page, with the name its product was sold under."""

    id: int
    product_name: str
    rating: int
    author_name: str
    body: str
    created_at: dt.datetime
    hidden_at: dt.datetime | None
    reply: str | None
    replied_at: dt.datetime | None


@cache
def _seller_reviews_statement():
    """A household's reviews with their products' names, newest first (built once)."""
    return (
        select(
            Review.id,
            func.coalesce(OrderLine.product_name, ""),
            Review.rating,
            Review.author_name,
            Review.body,
            Review.created_at,
            Review.hidden_at,
            Review.reply,
            Review.replied_at,
        )
        .outerjoin(OrderLine, OrderLine.id == Review.order_line_id)
        .where(Review.seller_id == bindparam("seller_id"))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def list_seller_reviews(seller_id: int, page: int = 1) -> Page[SellerReview]:
    """One page of the reviews of a household's products, newest first (one statement)."""
    return paginate(
        _seller_reviews_statement(),
        page,
        REVIEWS_PER_PAGE,
        rows=True,
        params={"seller_id": seller_id},
        each=lambda row: SellerReview(*row),
    )


def reply_to_review(review_id: int, seller_id: int, *, text: str | None, actor_id: int) -> Review:
    """The household answers a review of its product, once."""
    review = db.session.get(Review, review_id)
    if review is None or review.seller_id != seller_id:
        raise NotFound(_l("Ulasan tidak ditemukan."))
    if review.replied_at is not None:
        raise AlreadyDone(_l("Anda sudah membalas ulasan ini."))
    reply = clean_text(text, field="reply")
    if not update_if(
        Review,
        review.id,
        Review.replied_at.is_(None),
        reply=reply,
        replied_at=now_utc(),
        replied_by_id=actor_id,
    ):
        raise AlreadyDone(_l("Anda sudah membalas ulasan ini."))
    bump_catalog_version()
    db.session.refresh(review)
    return review


# --- reviewers and admins -----------------------------------------------------------------


def hide_review(review_id: int, *, reason: str | None, actor_id: int) -> Review:
    """Hide an abusive review (kept, with who hid it, when and why); its stars leave the
    averages. Hiding a hidden review changes nothing."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_l("Ulasan tidak ditemukan."))
    why = clean_reason(
        reason,
        maximum=MAX_HIDE_REASON,
        missing=_l("Tulis alasan menyembunyikan ulasan ini."),
        error=ReviewError,
    )
    if not update_if(
        Review,
        review.id,
        Review.hidden_at.is_(None),
        hidden_at=now_utc(),
        hidden_by_id=actor_id,
        hidden_reason=why,
    ):
        raise AlreadyDone(_l("Ulasan ini sudah disembunyikan."))
    db.session.refresh(review)
    _count(review, -1)
    return review


# --- the public ---------------------------------------------------------------------------


def visible_reviews(product_id: int, limit: int = PAGE_SIZE) -> list[Review]:
    """The newest visible reviews of a product: one query."""
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.product_id == product_id, Review.hidden_at.is_(None))
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )
