"""After the stock moves, an anonymous visitor's cached pages show the new stock at once.

Orders take stock, and expiries and cancellations give it back, with Core UPDATEs on
``product.stock``; a cached page is kept under the catalogue version, so it stays fresh
only if that version moves in the same transaction. Each test has a visitor look at a
page first (so it is cached), changes the stock the way the site does, and has the same
visitor look again: the product page's "Stok: N" (or "Stok habis", with no add-to-cart
button), and the "Stok habis" badge on the product's card in the product list and on its
household's shop page (a card shows no number, only that badge).

A repeated visit is answered from the cache on two paths, each tested: ``app``, the
``cached_page`` decorator inside Flask (a plain GET), and ``lane``, the
``CachedPagesLane`` in front of Flask (a GET that takes gzip).
"""

from __future__ import annotations

import datetime as dt
import gzip
import html as html_lib
import re

import pytest

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.institutions.models import QuoteStatus
from marketplace.institutions.quotes import approve_quote, submit_quote
from marketplace.orders.lifecycle import expire_due_orders
from marketplace.orders.models import OrderPart, PartStatus
from tests import factories

PAGES = ("product", "list", "shop")
ENDPOINTS = {
    "product": "catalog.product_detail",
    "list": "catalog.product_list",
    "shop": "catalog.shop",
}

by_path = pytest.mark.parametrize("path", ["app", "lane"])
on_every_page = pytest.mark.parametrize("page", PAGES)


def url_of(page: str, product) -> str:
    return {
        "product": f"/produk/{product.slug}",
        "list": "/produk",
        "shop": f"/toko/{product.seller.slug}",
    }[page]


def lane_hits(app, endpoint: str) -> float:
    """How many visits to ``endpoint``'s pages the lane has answered (200s), per /metrics."""
    text = app.test_client().get("/metrics").get_data(as_text=True)
    line = f'marketplace_cached_pages_total{{endpoint="{endpoint}",status="200"}}'
    match = re.search(re.escape(line) + r" ([0-9.e+]+)", text)
    return float(match.group(1)) if match else 0.0


class Visitor:
    """An anonymous visitor whose repeated visits the page cache answers on ``path``."""

    def __init__(self, app, path: str):
        self.app = app
        self.client = app.test_client()
        self.by_lane = path == "lane"

    def look(self, url: str) -> str:
        headers = {"Accept-Encoding": "gzip"} if self.by_lane else {}
        response = self.client.get(url, headers=headers)
        assert response.status_code == 200, url
        body = response.get_data()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode()

    def look_twice(self, url: str, page: str) -> str:
        """The first look renders and stores the page; the second is answered from the cache
        (by the lane, when that is the path: checked on its counter)."""
        self.look(url)
        before = lane_hits(self.app, ENDPOINTS[page])
        html = self.look(url)
        if self.by_lane:
            assert lane_hits(self.app, ENDPOINTS[page]) == before + 1, "lane did not answer"
        return html


def text_of(fragment: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", fragment).split()))


def card_of(html: str, product) -> str:
    """The product's card in a grid of cards."""
    cards = re.findall(r'<li class="card">.*?</li>', html, re.S)
    mine = [card for card in cards if f'href="/produk/{product.slug}"' in card]
    assert len(mine) == 1, f"no card of {product.slug} on the page"
    return mine[0]


def reads(page: str, html: str, product) -> str:
    """What the visitor reads of the product's stock on ``page``: the product page's stock
    line and add-to-cart button, or the "Stok habis" badge on the product's card."""
    if page == "product":
        summary = re.search(r'<div class="summary">(.*?)</div>', html, re.S)
        assert summary, "no product summary on the page"
        seen = re.findall(r"Stok: \d+|Stok habis", text_of(summary.group(1)))
        if "Masukkan keranjang" in summary.group(1) or 'action="/keranjang/tambah"' in html:
            seen.append("Masukkan keranjang")
        return " + ".join(seen)
    return " + ".join(re.findall(r"Stok habis", text_of(card_of(html, product))))


def shows(page: str, stock: int) -> str:
    """What ``reads`` gives on ``page`` for a product with ``stock`` units."""
    if page == "product":
        return f"Stok: {stock} + Masukkan keranjang" if stock else "Stok habis"
    return "" if stock else "Stok habis"


# --- the ways stock moves ----------------------------------------------------------------


def check_out(app, product, quantity: int) -> None:
    """A member of the public puts ``quantity`` in the cart and places the order."""
    buyer = app.test_client()
    added = buyer.post("/keranjang/tambah", data={"product_id": product.id, "quantity": quantity})
    assert added.status_code == 302
    placed = buyer.post("/checkout", data=vars(factories.checkout_details()))
    assert placed.status_code == 303, placed.get_data(as_text=True)


def submitted_quote(product, boxes: int):
    """A protocol office's quote for ``boxes`` boxes of one ``product`` each, waiting for
    its head's approval. Returns (quote, head)."""
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    quote = factories.make_quote(officer, [product], boxes=boxes)
    submit_quote(quote.id, officer)
    return quote, head


def approve(quote, head) -> None:
    """The head approves: the quote becomes an order and its goods leave the stock."""
    assert approve_quote(quote.id, head).status == QuoteStatus.ORDERED
    db.session.commit()


# --- 1. a public checkout ----------------------------------------------------------------


@by_path
def test_a_checkout_shows_the_stock_left_on_the_product_page(app, path):
    product = factories.make_product(name="Amplang Empat Bungkus", stock=4)
    db.session.commit()
    url = url_of("product", product)
    visitor = Visitor(app, path)
    assert reads("product", visitor.look_twice(url, "product"), product) == shows("product", 4)
    check_out(app, product, 2)
    assert reads("product", visitor.look(url), product) == shows("product", 2)


# --- 2. a government order ---------------------------------------------------------------


@by_path
def test_a_government_order_shows_the_stock_left_on_the_product_page(app, path):
    product = factories.make_product(name="Abon Kepiting Instansi", stock=12, price=35000)
    db.session.commit()
    url = url_of("product", product)
    visitor = Visitor(app, path)
    assert reads("product", visitor.look_twice(url, "product"), product) == shows("product", 12)
    # The quote's hold leaves the public stock at once, and approval keeps it gone.
    quote, head = submitted_quote(product, boxes=10)
    db.session.commit()
    assert reads("product", visitor.look(url), product) == shows("product", 2)
    approve(quote, head)
    assert reads("product", visitor.look(url), product) == shows("product", 2)


@by_path
@on_every_page
def test_a_government_order_of_the_last_units_shows_sold_out(app, path, page):
    product = factories.make_product(name="Madu Kelulut Protokol", stock=10, price=35000)
    db.session.commit()
    url = url_of(page, product)
    visitor = Visitor(app, path)
    assert reads(page, visitor.look_twice(url, page), product) == shows(page, 10)
    quote, head = submitted_quote(product, boxes=10)
    db.session.commit()
    assert reads(page, visitor.look(url), product) == shows(page, 0)
    approve(quote, head)
    assert reads(page, visitor.look(url), product) == shows(page, 0)


# --- 3. an unpaid order expires ----------------------------------------------------------


@by_path
@on_every_page
def test_an_expired_order_puts_its_stock_back_on_show(app, path, page):
    product = factories.make_product(name="Kerupuk Ikan Tak Dibayar", stock=2)
    order = factories.make_order((product, 2))
    db.session.commit()
    url = url_of(page, product)
    visitor = Visitor(app, path)
    assert reads(page, visitor.look_twice(url, page), product) == shows(page, 0)
    assert expire_due_orders(now=order.expires_at + dt.timedelta(seconds=1)) == 1
    db.session.commit()
    assert reads(page, visitor.look(url), product) == shows(page, 2)


# --- 4. a part is cancelled --------------------------------------------------------------


@pytest.mark.parametrize("by", ["buyer", "admin"])
@by_path
@on_every_page
def test_a_cancelled_part_puts_its_stock_back_on_show(app, client, login_as, path, page, by):
    product = factories.make_product(name="Tas Rotan Batal", stock=2)
    order = factories.make_paid_order((product, 2))
    part = order.parts[0]
    db.session.commit()
    url = url_of(page, product)
    visitor = Visitor(app, path)
    assert reads(page, visitor.look_twice(url, page), product) == shows(page, 0)
    if by == "buyer":
        cancelled = app.test_client().post(f"/pesanan/{order.access_token}/batal/{part.id}")
    else:
        login_as(Role.ADMIN)
        cancelled = client.post(
            f"/admin/pesanan/{order.id}",
            data={"action": "cancel_part", "part_id": part.id, "reason": "Paket hilang"},
        )
    assert cancelled.status_code == 303
    db.session.expire_all()
    assert db.session.get(OrderPart, part.id).status == PartStatus.CANCELLED.value
    assert reads(page, visitor.look(url), product) == shows(page, 2)


# --- 5. the last unit is sold ------------------------------------------------------------


@by_path
@on_every_page
def test_the_last_unit_sold_shows_sold_out_with_no_add_to_cart(app, path, page):
    product = factories.make_product(name="Gelang Manik Terakhir", stock=1)
    db.session.commit()
    url = url_of(page, product)
    visitor = Visitor(app, path)
    assert reads(page, visitor.look_twice(url, page), product) == shows(page, 1)
    check_out(app, product, 1)
    assert reads(page, visitor.look(url), product) == shows(page, 0)
