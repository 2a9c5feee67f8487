"""A household's own shares: the short reference its links carry, the visits and the sales.

A household shares ``/produk/<slug>?ref=<code>``. Opening it counts one visit for the
household (a reload or a second tap within ``VISIT_WINDOW`` is the same visit), keeps the
reference in the visitor's session for ``web.REFERRAL_DAYS``, and an order placed meanwhile
counts as a sale of the household's share when the order has a part of that household.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from urllib.parse import quote, urlencode

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from marketplace.catalog.models import Seller
from marketplace.db import WITA, db, now_utc, read_rows
from marketplace.orders.models import Order, OrderPart, OrderStatus
from marketplace.orders.signals import order_placed
from marketplace.sellers.models import ShareSale, ShareVisit

#: the query parameter of a household's shared link: ``?ref=<code>``
REFERRAL_PARAM = "ref"
VISIT_WINDOW = dt.timedelta(minutes=30)
TAG_LENGTH = 5
#: the household's id in base 36, then its tag in lower-case base 32
CODE_PATTERN = re.compile(r"([0-9a-z]{1,8})([a-z2-7]{5})")
#: link-preview fetchers and crawlers open a shared link too; they are nobody's visit
FETCHERS = re.compile(
    r"facebookexternalhit|facebookcatalog|whatsapp|telegrambot|twitterbot|slackbot|discordbot"
    r"|linkedinbot|googlebot|bingbot|bot\b|crawler|spider|preview",
    re.IGNORECASE,
)


def _tag(seller_id: int) -> str:
    return _signed_tag(current_app.config["SECRET_KEY"], seller_id)


@lru_cache(maxsize=4096)
def _signed_tag(secret_key: str, seller_id: int) -> str:
    """The tag of a household under a key: values in, value out, so kept per process (the
    household's dashboard and pages draw it on every request)."""
    digest = hmac.new(secret_key.encode(), f"share-ref:{seller_id}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode().lower()[:TAG_LENGTH]


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if not number:
            return digits


def share_code_of(seller_id: int) -> str:
    """The household's reference: its id and a tag signed with the site's key, so nobody
    can make up another household's code, and no row is written to hand one out."""
    return _base36(seller_id) + _tag(seller_id)


def seller_of_code(code: str) -> int | None:
    """The household a reference names, or None for anything else."""
    found = CODE_PATTERN.fullmatch(code or "")
    if found is None:
        return None
    seller_id = int(found[1], 36)
    return seller_id if hmac.compare_digest(_tag(seller_id), found[2]) else None


def is_fetcher(user_agent: str) -> bool:
    return bool(FETCHERS.search(user_agent or ""))


def _is_the_household(seller_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return db.session.scalar(select(Seller.user_id).where(Seller.id == seller_id)) == user_id


def record_visit(
    code: str, visitor: str, path: str, user_agent: str = "", user_id: int | None = None
) -> bool:
    """Count a visit through the household's link; False when it is not one to count
    (an unknown code, a preview fetcher, the household itself, the same visitor again
    within the window)."""
    seller_id = seller_of_code(code)
    if seller_id is None or is_fetcher(user_agent) or _is_the_household(seller_id, user_id):
        return False
    now = now_utc()
    visitor_key = hashlib.sha256(f"{seller_id}:{visitor}".encode()).hexdigest()
    recent = db.session.scalar(
        select(ShareVisit.id).where(
            ShareVisit.seller_id == seller_id,
            ShareVisit.visitor_key == visitor_key,
            ShareVisit.created_at > now - VISIT_WINDOW,
        )
    )
    if recent is not None:
        return False
    epoch = int(now.timestamp())
    window_start = dt.datetime.fromtimestamp(
        epoch - epoch % int(VISIT_WINDOW.total_seconds()), dt.UTC
    )
    try:
        with db.session.begin_nested():
            db.session.add(
                ShareVisit(
                    seller_id=seller_id,
                    visitor_key=visitor_key,
                    window_start=window_start,
                    path=path[:200],
                    created_at=now,
                )
            )
    except IntegrityError:
        return False  # the same visitor's twin request counted it a moment ago
    return True


@order_placed.connect
def _count_referred_sale(order: Order, referral: str | None = None, **_: object) -> None:
    """The household whose share brought the buyer gets its part of the order counted."""
    if not referral:
        return
    seller_id = seller_of_code(referral)
    if seller_id is None or _is_the_household(seller_id, order.buyer_id):
        return
    for part in order.parts:
        if part.seller_id == seller_id:
            db.session.add(ShareSale(seller_id=seller_id, order_part_id=part.id))
    db.session.flush()


@dataclass(frozen=True)
class ShareCounts:
    visits: int
    sales: int
    sales_amount: int


def month_start(today: dt.date) -> dt.datetime:
    """The first moment of ``today``'s month in WITA, as UTC."""
    return dt.datetime.combine(today.replace(day=1), dt.time(), WITA).astimezone(dt.UTC)


def share_counts(seller_id: int, today: dt.date) -> ShareCounts:
    """This month's (WITA) visits through the household's links and the paid sales they
    brought (the goods of its parts, as sold)."""
    row = read_rows(
        _share_counts_statement(), {"seller_id": seller_id, "since": month_start(today)}
    ).one()
    return counts_of(*row)


def counts_of(visits: int | None, sales: int | None, amount: int | None) -> ShareCounts:
    """The counts from the values of ``share_counts_columns``."""
    return ShareCounts(visits=visits or 0, sales=sales or 0, sales_amount=int(amount or 0))


def share_counts_columns(seller_id, since) -> tuple:
    """This month's visits, sales and their amount for the household ``seller_id`` (a bound
    value, or a column a statement of households correlates): three scalar subqueries,
    so a page that reads the household anyway reads its counts in the same statement.
    ``since`` is the month's start (``month_start``), bound."""
    visits = select(func.count(ShareVisit.id)).where(
        ShareVisit.seller_id == seller_id, ShareVisit.created_at >= since
    )
    paid_sales = (
        select(ShareSale.id)
        .join(OrderPart, OrderPart.id == ShareSale.order_part_id)
        .join(Order, Order.id == OrderPart.order_id)
        .where(
            ShareSale.seller_id == seller_id,
            Order.status == OrderStatus.PAID.value,
            Order.paid_at >= since,
        )
    )
    sales = paid_sales.with_only_columns(func.count(ShareSale.id))
    amount = paid_sales.with_only_columns(func.coalesce(func.sum(OrderPart.items_amount), 0))
    return (
        visits.scalar_subquery().label("share_visits"),
        sales.scalar_subquery().label("share_sales"),
        amount.scalar_subquery().label("share_sales_amount"),
    )


@cache
def _share_counts_statement():
    """``share_counts``' one statement, built once (for every household and month)."""
    since = bindparam("since", type_=ShareVisit.created_at.type)
    return select(*share_counts_columns(bindparam("seller_id"), since))


@dataclass(frozen=True)
class ShareLink:
    """What the share action offers: the link (with the household's reference when the
    household itself shares) and the same through WhatsApp, Facebook and Telegram."""

    id: str
    url: str
    title: str
    text: str
    is_own: bool = False

    @classmethod
    def make(cls, name: str, url: str, title: str, text: str, code: str | None) -> ShareLink:
        return _made_link(cls, name, url, title, text, code)

    # Worked out once per link: ``make`` hands out the same (unchanging) link for the same
    # values, and quoting a text and address costs a call per character.
    @cached_property
    def whatsapp(self) -> str:
        return "https://wa.me/?text=" + quote(f"{self.text} {self.url}", safe="")

    @cached_property
    def facebook(self) -> str:
        return "https://www.facebook.com/sharer/sharer.php?u=" + quote(self.url, safe="")

    @cached_property
    def telegram(self) -> str:
        url, text = quote(self.url, safe=""), quote(self.text, safe="")
        return f"https://t.me/share/url?url={url}&text={text}"


@lru_cache(maxsize=4096)
def _made_link(
    cls: type[ShareLink], name: str, url: str, title: str, text: str, code: str | None
) -> ShareLink:
    """``ShareLink.make``'s link: its values in, the link out (frozen), kept per process."""
    if code:
        url += ("&" if "?" in url else "?") + urlencode({REFERRAL_PARAM: code})
    return cls(id=name, url=url, title=title, text=text, is_own=bool(code))
