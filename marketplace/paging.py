"""One page of a list that grows (an inbox, a queue, a ledger): ``?page=n``, read once.

A page asks for one row more than it shows, to know whether another page follows without
counting the whole list. The page number is a whole number from the query string; junk or
a page past the end is not found (404), never a 500. ``_macros.html``'s ``pagination``
draws the "Sebelumnya" / "Berikutnya" links (plain links: no script needed).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam

from marketplace.db import db, read_rows
from marketplace.errors import NotFound
from marketplace.numbers import NumberError, parse_whole

T = TypeVar("T")

#: No list is this long: a larger number is a mistyped or made-up address.
MAX_PAGE = 10_000


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    has_next: bool
    per_page: int = 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first_number(self) -> int:
        """The place of this page's first item in the whole list (an ``<ol start>``)."""
        return (self.page - 1) * self.per_page + 1

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def requested_page() -> int:
    """The page the request asks for (``?page=``, 1 by default); junk is not found."""
    try:
        return parse_whole(request.args.get("page", "1"), minimum=1, maximum=MAX_PAGE)
    except NumberError:
        raise NotFound(_l("Halaman yang Anda cari tidak ada.")) from None


def paginate(
    stmt,
    page: int,
    per_page: int,
    *,
    rows: bool = False,
    each: Callable | None = None,
    params: dict | None = None,
) -> Page:
    """Run ``stmt`` (ordered) for one page: objects (``scalars``), or rows with ``rows``
    (plain columns, read past the ORM's loading: ``read_rows``); ``params`` are its bound
    values (a statement built once, with ``bindparam``).

    A page past the end (other than the first) is not found.
    """
    values = {
        **(params or {}),
        "page_offset": (page - 1) * per_page,
        "page_limit": per_page + 1,
    }
    stmt = _one_page(stmt)
    # fetched at once (``all``), not row by row through the result's iterator
    found = (read_rows(stmt, values) if rows else db.session.scalars(stmt, values).unique()).all()
    if not found and page > 1:
        raise NotFound(_l("Halaman yang Anda cari tidak ada."))
    items = found[:per_page]
    if each is not None:
        items = [each(item) for item in items]
    return Page(items=items, page=page, has_next=len(found) > per_page, per_page=per_page)


#: each statement's page form, kept while the statement lives (most are built once)
_PAGED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _one_page(stmt):
    """``stmt`` limited to one page, its offset and limit bound as it runs: the same
    statement object every time, so SQLAlchemy keeps its cache key rather than working it
    out again for each request's new ``offset().limit()`` (a statement built per request
    gets its own, dropped with it)."""
    paged = _PAGED.get(stmt)
    if paged is None:
        paged = _PAGED[stmt] = stmt.offset(bindparam("page_offset", type_=Integer)).limit(
            bindparam("page_limit", type_=Integer)
        )
    return paged


def link_prefix(endpoint: str, key: str) -> str:
    """``endpoint``'s address up to the id that ends it (``/penjual/pesanan/``), built once
    for the rows of a page: a row's link is the prefix and its id, the address ``url_for``
    writes, without its cost per row (a page's costliest call in a long list)."""
    url = url_for(endpoint, **{key: 0})
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint}'s address does not end with its {key}")
    return url[:-1]
