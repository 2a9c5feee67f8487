"""Cached public pages: fast for anonymous visitors, never stale, never someone else's."""

from __future__ import annotations

import gzip
import re
import sqlite3

import pytest
from flask import request
from sqlalchemy import create_engine, update
from sqlalchemy.exc import OperationalError

from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.pagecache import (
    VersionReader,
    bump_catalog_version,
    catalog_version,
    page_key,
    page_path,
)
from tests import factories
from tests.conftest import csrf_token_from

#: What a browser sends with a form posted from one of the site's own pages.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


def test_a_repeated_anonymous_page_costs_one_query(client, count_queries):
    product = factories.make_product(name="Tas Rotan Cache")
    db.session.commit()
    first = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    with count_queries() as statements:
        again = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert again == first
    assert len(statements) == 1 and "catalog_state" in statements[0]


def test_a_price_change_shows_at_once(client):
    product = factories.make_product(name="Tas Rotan Harga", price=300000)
    db.session.commit()
    assert "Rp300.000" in client.get(f"/produk/{product.slug}").get_data(as_text=True)
    product.price_amount = 275000
    db.session.commit()
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Rp275.000" in html and "Rp300.000" not in html


def test_a_stock_change_by_a_core_update_shows_once_the_version_moves(client):
    product = factories.make_product(name="Bakul Stok", stock=7)
    db.session.commit()
    assert "Stok: 7" in client.get(f"/produk/{product.slug}").get_data(as_text=True)
    db.session.execute(update(Product).where(Product.id == product.id).values(stock=3))
    bump_catalog_version()
    db.session.commit()
    assert "Stok: 3" in client.get(f"/produk/{product.slug}").get_data(as_text=True)


def test_a_hidden_product_leaves_the_list_at_once(client):
    product = factories.make_product(name="Anyaman Sebentar")
    db.session.commit()
    assert "Anyaman Sebentar" in client.get("/search?q=sebentar").get_data(as_text=True)
    product.status = "paused"
    db.session.commit()
    assert "Anyaman Sebentar" not in client.get("/search?q=sebentar").get_data(as_text=True)


def test_validators_answer_304_until_the_catalogue_changes(client):
    first = client.get("/produk")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and "Cookie" in first.headers["Vary"]
    assert client.get("/produk", headers={"If-None-Match": etag}).status_code == 304
    factories.make_product(name="Produk Baru Sekali")
    db.session.commit()
    fresh = client.get("/produk", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "Produk Baru Sekali" in fresh.get_data(as_text=True)


def test_every_anonymous_visitor_gets_the_same_page_and_no_cookie(app, csrf):
    alice, bob = app.test_client(), app.test_client()
    first = alice.get("/")
    again = bob.get("/")  # from the cache Alice filled
    assert again.get_data() == first.get_data()
    assert "csrf_token" not in again.get_data(as_text=True)
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in again.headers
    # Its language switch works from the page's own origin, without a token.
    switched = bob.post("/bahasa", data={"locale": "en"}, headers=SAME_ORIGIN)
    assert switched.status_code == 302 and "lang=en" in switched.headers["Set-Cookie"]


def test_languages_are_cached_apart(client):
    assert "Semua produk" in client.get("/produk").get_data(as_text=True)
    client.post("/bahasa", data={"locale": "en"})
    assert "All products" in client.get("/produk").get_data(as_text=True)


def test_signed_in_visitors_bypass_the_cache(client, login_as):
    client.get("/")
    login_as("buyer")
    response = client.get("/")
    assert "Keluar" in response.get_data(as_text=True) and "ETag" not in response.headers


def test_a_visitor_with_a_cart_sees_their_own_count(app, client):
    product = factories.make_product(name="Gelang Keranjang", stock=5)
    db.session.commit()
    stranger = app.test_client()
    stranger.get(f"/produk/{product.slug}")  # fills the cache for people without a cart
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": 2})
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Keranjang (2)" in html
    assert "Keranjang (2)" not in stranger.get(f"/produk/{product.slug}").get_data(as_text=True)


def test_a_cached_page_is_served_compressed_as_stored(app, csrf):
    product = factories.make_product(name="Tikar Pandan Gzip")
    db.session.commit()
    path = f"/produk/{product.slug}"
    app.test_client().get(path)  # someone else fills the cache
    visitor = app.test_client()
    zipped = visitor.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    html = gzip.decompress(zipped.get_data()).decode()
    assert "Tikar Pandan Gzip" in html
    plain = visitor.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True) == html
    # The form on the page works for a visitor on the page, without a token.
    response = visitor.post(
        "/keranjang/tambah", data={"product_id": product.id, "quantity": 1}, headers=SAME_ORIGIN
    )
    assert response.status_code == 302


def test_a_page_whose_rendering_asks_for_a_csrf_token_is_never_stored(app):
    """A form bound to the visitor's session on a cached page would hand one visitor's token
    to the next: such a page is served to its visitor only."""
    from flask_wtf.csrf import generate_csrf

    from marketplace.pagecache import cached_page

    @cached_page
    def personal():
        return f'<form method="post"><input name="csrf_token" value="{generate_csrf()}"></form>'

    store = app.extensions["page_cache"]
    with app.test_request_context("/halaman-dengan-token"):
        first = personal()
        key = page_key(catalog_version(), "id", page_path(request.environ))
    assert store.get(key) is None
    assert "csrf_token" in first.get_data(as_text=True) and "ETag" not in first.headers


# --- the lane: repeated anonymous visits answered before the app runs --------------------

LANE_HITS = 'marketplace_cached_pages_total{endpoint="catalog.product_detail",status="200"}'


def lane_hits(app) -> float:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    match = re.search(re.escape(LANE_HITS) + r" ([0-9.e+]+)", text)
    return float(match.group(1)) if match else 0.0


def gzip_get(client, path, **headers):
    return client.get(path, headers={"Accept-Encoding": "gzip, deflate", **headers})


def test_a_repeated_visit_is_answered_by_the_lane_exactly_as_the_app_answers(app, csrf):
    product = factories.make_product(name="Kain Ulap Doyo Lajur")
    db.session.commit()
    path = f"/produk/{product.slug}"
    before = lane_hits(app)
    first = gzip_get(app.test_client(), path)  # the app renders, stores, and tells the lane
    visitor = app.test_client()
    again = gzip_get(visitor, path)
    assert lane_hits(app) == before + 1
    assert again.status_code == first.status_code == 200
    assert {k: v for k, v in again.headers if k != "X-Request-ID"} == {
        k: v for k, v in first.headers if k != "X-Request-ID"
    }
    assert again.get_data() == first.get_data()  # the same bytes for every visitor
    assert "Set-Cookie" not in again.headers  # nothing signed, nothing to keep
    added = visitor.post(
        "/keranjang/tambah", data={"product_id": product.id, "quantity": 1}, headers=SAME_ORIGIN
    )
    assert added.status_code == 302
    # Now the visitor has a cart: the app answers, with their count in the header.
    html = gzip.decompress(gzip_get(visitor, path).get_data()).decode()
    assert "Keranjang (1)" in html
    assert lane_hits(app) == before + 1


def test_a_returning_visitor_keeps_their_session(app, csrf):
    """A session that holds nothing a public page shows (here the token of a sign-in form
    seen before) is the lane's to answer, and left as it is."""
    product = factories.make_product(name="Madu Kelulut Kembali")
    db.session.commit()
    path = f"/produk/{product.slug}"
    visitor = app.test_client()
    token = csrf_token_from(visitor.get("/akun/masuk").get_data(as_text=True))
    gzip_get(visitor, path)
    session_cookie = visitor.get_cookie("session").value
    before = lane_hits(app)
    again = gzip_get(visitor, path)
    assert lane_hits(app) == before + 1
    assert "Set-Cookie" not in again.headers
    assert visitor.get_cookie("session").value == session_cookie
    # The sign-in form seen before still takes its token.
    signed_out = visitor.post("/akun/keluar", data={"csrf_token": token})
    assert signed_out.status_code == 302


def test_a_forged_session_cookie_is_no_session(app, csrf):
    product = factories.make_product(name="Amplang Kuku Macan Palsu")
    db.session.commit()
    path = f"/produk/{product.slug}"
    gzip_get(app.test_client(), path)
    visitor = app.test_client()
    visitor.set_cookie("session", '{"_user_id": "1"}')
    before = lane_hits(app)
    response = gzip_get(visitor, path)
    assert lane_hits(app) == before + 1
    assert "Keluar" not in gzip.decompress(response.get_data()).decode()
    assert "Set-Cookie" not in response.headers


def test_the_lane_answers_304_to_a_browser_that_has_the_page(app):
    product = factories.make_product(name="Beras Adan Validator")
    db.session.commit()
    path = f"/produk/{product.slug}"
    visitor = app.test_client()
    etag = gzip_get(visitor, path).headers["ETag"]
    before = lane_hits(app)
    response = gzip_get(visitor, path, **{"If-None-Match": etag})
    assert response.status_code == 304 and response.get_data() == b""
    assert response.headers["ETag"] == etag and response.headers["X-Frame-Options"] == "DENY"
    assert lane_hits(app) == before  # counted apart, as 304
    product.price_amount += 5000
    db.session.commit()
    assert gzip_get(visitor, path, **{"If-None-Match": etag}).status_code == 200


def test_each_language_is_answered_from_its_own_page(app):
    visitor = app.test_client()
    gzip_get(visitor, "/produk")
    visitor.set_cookie("lang", "en")
    gzip_get(visitor, "/produk")  # the English page, stored by the app
    english = gzip.decompress(gzip_get(visitor, "/produk").get_data()).decode()
    assert "All products" in english
    visitor.set_cookie("lang", "xx")  # not a language we have: Indonesian
    assert "Semua produk" in gzip.decompress(gzip_get(visitor, "/produk").get_data()).decode()


def test_remembered_and_signed_in_visitors_are_answered_by_the_app(app):
    product = factories.make_product(name="Tudung Saji Ingat")
    factories.make_user(email="ingat@contoh.id")
    db.session.commit()
    path = f"/produk/{product.slug}"
    gzip_get(app.test_client(), path)
    visitor = app.test_client()
    signed_in = visitor.post(
        "/akun/masuk",
        data={"login": "ingat@contoh.id", "password": factories.PASSWORD, "remember": "y"},
    )
    assert signed_in.status_code == 302 and visitor.get_cookie("remember_token")
    before = lane_hits(app)
    assert "Keluar" in gzip.decompress(gzip_get(visitor, path).get_data()).decode()
    # The browser was closed: the session cookie is gone, the remember-me cookie is not.
    visitor.delete_cookie("session")
    assert "Keluar" in gzip.decompress(gzip_get(visitor, path).get_data()).decode()
    assert lane_hits(app) == before


def test_a_visitor_with_a_message_waiting_is_answered_by_the_app(app):
    product = factories.make_product(name="Kerupuk Pesan")
    db.session.commit()
    path = f"/produk/{product.slug}"
    gzip_get(app.test_client(), path)
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("success", "Pesan untuk Anda saja")]
    before = lane_hits(app)
    assert "Pesan untuk Anda saja" in gzip.decompress(gzip_get(visitor, path).get_data()).decode()
    assert lane_hits(app) == before


def test_when_the_lane_cannot_read_the_version_the_app_answers(app, monkeypatch):
    product = factories.make_product(name="Gelang Manik Cadangan")
    db.session.commit()
    path = f"/produk/{product.slug}"
    gzip_get(app.test_client(), path)
    lane = app.extensions["cached_pages_lane"]

    def unreachable():
        raise OperationalError("SELECT version", {}, Exception("connection refused"))

    monkeypatch.setattr(lane, "read_version", unreachable)
    before = lane_hits(app)
    response = gzip_get(app.test_client(), path)
    assert response.status_code == 200 and lane_hits(app) == before
    assert "Gelang Manik Cadangan" in gzip.decompress(response.get_data()).decode()


def test_the_lanes_version_reader_sees_each_commit_and_reconnects_after_a_failure(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'versi.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE catalog_state (id INTEGER, version INTEGER)")
    read = VersionReader(engine)
    assert read() == 0  # no row yet
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO catalog_state VALUES (1, 41)")
    assert read() == 41
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE catalog_state SET version = version + 1")
    assert read() == 42
    read._local.connection.close()  # the connection is lost under the reader's feet
    with pytest.raises(sqlite3.ProgrammingError):
        read()  # this request is the app's to answer...
    assert read() == 42  # ...and the next read connects again
    engine.dispose()
