"""A household closing its shop for a while (libur: a family event, a harvest) and
reopening it: the dates a closure may have, one closure going on or to come at a time.
What a closure stops being sold is ``stock``'s (``closures_of``, ``supply_of``)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select

from marketplace.catalog.models import Seller
from marketplace.db import db, lock_row, now_utc
from marketplace.errors import MarketplaceError, Refusals, check_days
from marketplace.inventory.models import ShopClosure
from marketplace.once import IncompleteForm, check_token, made_before


def not_over(today) -> tuple[ColumnElement[bool], ...]:
    """A closure not yet over on ``today`` (a date or a bound parameter), nor cancelled."""
    return ShopClosure.cancelled_at.is_(None), ShopClosure.ends_on >= today


class ClosureError(MarketplaceError):
    pass


#: the longest a shop closes in one go; a household gone for longer pauses its listings
MAX_CLOSURE_DAYS = 90
MAX_CLOSURE_MESSAGE = 300


def live_closure(seller_id: int, today: dt.date) -> ShopClosure | None:
    """The household's closure going on or coming, if any (a new one replaces it)."""
    return db.session.scalar(
        select(ShopClosure)
        .where(ShopClosure.seller_id == seller_id, *not_over(today))
        .order_by(ShopClosure.starts_on)
        .limit(1)
    )


def check_closure(starts_on: dt.date | None, ends_on: dt.date | None, today: dt.date) -> None:
    """Refuse dates a closure cannot have, each with its field."""
    problems = Refusals()
    check_days(
        problems,
        starts_on,
        ends_on,
        today,
        error=ClosureError,
        missing_start=_l("Isi tanggal mulai libur."),
        missing_end=_l("Isi tanggal terakhir libur."),
        max_days=MAX_CLOSURE_DAYS,
        too_long=_l("Toko bisa libur paling lama %(n)s hari sekaligus.", n=MAX_CLOSURE_DAYS),
    )
    problems.raise_any()


def close_shop(
    seller_id: int,
    starts_on: dt.date,
    ends_on: dt.date,
    message: str,
    today: dt.date,
    token: str | None = None,
) -> ShopClosure:
    """Close the household's shop through ``ends_on``; it replaces a closure still to come
    or going on. The catalogue version moves with the row (pages show the notice).

    From a form, once per form sent (``token``): "Ya, tutup toko" pressed twice closes the
    shop once, not a second time that ends the first. Of two closings at once (a double
    tap, two tabs), the second waits on the household's row and then finds its twin, or
    replaces the first as one sent after it would.
    """
    check_closure(starts_on, ends_on, today)
    message = " ".join(message.split())
    if len(message) > MAX_CLOSURE_MESSAGE:
        raise ClosureError(
            _l("Pesan paling panjang %(n)s huruf.", n=MAX_CLOSURE_MESSAGE), field="message"
        )
    lock_row(Seller, seller_id)
    twin = made_before(ShopClosure, check_token(token)) if token is not None else None
    if twin is not None:
        if twin.seller_id != seller_id:  # a token is the page's own: never another's closure
            raise IncompleteForm(_l("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
        return twin
    reopen_shop(seller_id, today)
    closure = ShopClosure(
        seller_id=seller_id,
        starts_on=starts_on,
        ends_on=ends_on,
        message=message,
        idempotency_token=token,  # unique: the backstop of the lookup above
    )
    db.session.add(closure)
    db.session.flush()
    return closure


def reopen_shop(seller_id: int, today: dt.date) -> int:
    """End the household's closures now (kept as cancelled); how many there were."""
    closures = db.session.scalars(
        select(ShopClosure).where(ShopClosure.seller_id == seller_id, *not_over(today))
    ).all()
    for closure in closures:
        closure.cancelled_at = now_utc()
    db.session.flush()
    return len(closures)
