"""What pages show alike to everyone, kept in the process per catalogue version.

The storefront's regions and categories (with their counts), the official gifts, the
newest products, a page of results, a product page's parts, the gift-box builder's choices:
each changes only when the catalogue does (or at midnight WITA, when a licence or a
promotion ends). So the key is the catalogue version and today's date, as the page cache's
(``marketplace.pagecache``). Every process keeps its own copy and reads the version once
per request (``request_catalog_version``: one short statement, or none when the version
is pushed); any change of a row these show moves the version in the change's own
transaction, so what is kept is never older than the catalogue, in any process. Whatever
is kept is a plain value or finished HTML: nothing tied to a database session, and nothing
of the visitor, outlives its request.

What is kept per product or per query is bounded: the memo holds at most
``CatalogueMemo.MAX_VALUES`` values and forgets the least recently used first, so a crawler
walking every product or a stream of odd searches costs a bounded amount of memory and
only the values it pushed out.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

from flask import current_app

from marketplace.catalogversion import request_catalog_version
from marketplace.db import today_local
from marketplace.locales import current_language

T = TypeVar("T")


class CatalogueMemo:
    """Values computed once per (catalogue version, WITA day) in this process, at most
    ``max_values`` of them, the least recently used forgotten first."""

    MAX_VALUES = 1024

    def __init__(self, max_values: int = MAX_VALUES) -> None:
        self._lock = Lock()
        self._key: tuple[int, dt.date] | None = None
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self.max_values = max_values

    def get(self, key: tuple[int, dt.date], name: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key != self._key:
                self._key, self._values = key, OrderedDict()
            elif name in self._values:
                self._values.move_to_end(name)
                return self._values[name]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if key == self._key:
                self._values[name] = value
                while len(self._values) > self.max_values:
                    self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._key, self._values = None, OrderedDict()


def memo() -> CatalogueMemo:
    found = current_app.extensions.get("catalogue_memo")
    if found is None:
        found = current_app.extensions.setdefault("catalogue_memo", CatalogueMemo())
    return found


def kept(name: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave earlier for this catalogue version and day.

    The version is the request's (read once): the request's lists all match one version.
    """
    return memo().get((request_catalog_version(), today_local()), name, compute)


def locale_key() -> str:
    """The visitor's language, for values written in it (cards: the rating's decimals)."""
    return current_language()
