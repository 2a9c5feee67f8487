"""A buyer's review of one product of a delivered order part, and the household's reply."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, now_utc

MAX_TEXT = 2000


class Review(db.Model):
    """One per order line (a verified purchase): 1-5 stars, a text, and one reply.

    The product's and the shop's ``rating_sum``/``rating_count`` move with it in the
    same transaction, so list pages show averages without counting reviews.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),
        Index("ix_reviews_product_id_created_at", "product_id", "created_at"),
        # the household's reviews, newest first: one page read from the index
        Index("ix_reviews_seller_id_created_at", "seller_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the line bought: unique, so one review per product per order
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: shown with the review: the buyer's first name, as given at checkout
    author_name: Mapped[str] = mapped_column(String(60))
    rating: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: hidden by a reviewer or an admin: who, when, why (the review itself is kept)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")


def rating_average(rating_sum: int, rating_count: int) -> Decimal | None:
    """The average to one decimal (4.5), or None with no ratings."""
    if not rating_count:
        return None
    return (Decimal(rating_sum) / rating_count).quantize(Decimal("0.1"), ROUND_HALF_UP)
