"""What reviews hold about a buyer: in the person's download; at closing, the stars stay
(the products' and shops' ratings count them) and the name and words go, from the product
pages too (the catalogue version moves with them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.accounts.privacy import CLOSED_NAME, holds_personal_data
from marketplace.db import db
from marketplace.pagecache import bump_catalog_version
from marketplace.reviews.models import Review


def _export(user: User) -> list[dict[str, Any]]:
    reviews = db.session.scalars(
        select(Review).where(Review.buyer_id == user.id).order_by(Review.id)
    )
    return [
        {
            "nama_ditampilkan": review.author_name,
            "bintang": review.rating,
            "ulasan": review.body,
            "dibuat": review.created_at,
            "balasan_penjual": review.reply,
        }
        for review in reviews
    ]


def _forget(user: User) -> None:
    closed = db.session.execute(
        update(Review)
        .where(Review.buyer_id == user.id)
        .values(buyer_id=None, author_name=CLOSED_NAME, body="")
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount:
        # a Core statement, unseen by the flush hook: product pages show the name and words
        bump_catalog_version()


holds_personal_data("ulasan", forget=_forget)(_export)
