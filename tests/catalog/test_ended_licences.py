"""A food licence that ends at midnight (WITA) leaves every public page at that moment.

The pages are cached for anonymous visitors; nothing in the catalogue changes at
midnight, so only the clock can tell the cache. Each test has a visitor see the product
on a page just before midnight (the second look answered from the cache: by the
``cached_page`` decorator inside Flask, or by ``CachedPagesLane`` in front of it), moves
the clock to midnight, and has the same visitor look again.
"""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.db import WITA, db
from tests import factories
from tests.inventory.test_fresh_pages import Visitor, lane_hits

NAME = "Amplang Izin Berakhir"
ENDPOINTS = {
    "home": "catalog.home",
    "list": "catalog.product_list",
    "search": "catalog.search",
    "product": "catalog.product_detail",
    "shop": "catalog.shop",
}


def url_of(page: str, product) -> str:
    return {
        "home": "/",
        "list": "/produk",
        "search": "/search?q=amplang+izin+berakhir",
        "product": f"/produk/{product.slug}",
        "shop": f"/toko/{product.seller.slug}",
    }[page]


@pytest.fixture
def last_day(clock):
    """A food product whose P-IRT licence ends today; the clock one second before midnight."""
    day = dt.date(2027, 3, 9)
    clock.set(dt.datetime.combine(day, dt.time(23, 59, 59), WITA))
    product = factories.make_product(name=NAME, category_slug="camilan", licence_valid_until=day)
    db.session.commit()
    return product


@pytest.mark.parametrize("path", ["app", "lane"])
@pytest.mark.parametrize("page", ENDPOINTS)
def test_the_product_leaves_the_page_at_midnight(app, clock, last_day, path, page):
    url = url_of(page, last_day)
    visitor = Visitor(app, path)
    visitor.look(url)
    before = lane_hits(app, ENDPOINTS[page])
    assert NAME in visitor.look(url)
    if path == "lane":
        assert lane_hits(app, ENDPOINTS[page]) == before + 1, "the lane did not answer"

    clock.move(seconds=1)  # 00:00:00 WITA: the licence has ended

    headers = {"Accept-Encoding": "gzip"} if path == "lane" else {}
    response = visitor.client.get(url, headers=headers)
    if page == "product":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert NAME not in visitor.look(url)


def test_a_browser_asking_again_after_midnight_gets_the_new_page(app, clock, last_day):
    """A phone that kept the page asks with its ETag: before midnight 304, after it the page."""
    visitor = app.test_client()
    first = visitor.get("/produk", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    asked = {"Accept-Encoding": "gzip", "If-None-Match": etag}
    assert visitor.get("/produk", headers=asked).status_code == 304
    clock.move(seconds=1)
    again = visitor.get("/produk", headers=asked)
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_a_licence_in_force_through_its_last_day_stays_on_show(app, clock, last_day):
    visitor = Visitor(app, "lane")
    assert NAME in visitor.look("/produk")
    clock.set(dt.datetime.combine(dt.date(2027, 3, 9), dt.time(0, 0), WITA))
    assert NAME in visitor.look("/produk")
