"""Cached public pages: fast for anonymous visitors, never stale, never someone else's."""

from __future__ import annotations

from sqlalchemy import update

from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.pagecache import bump_catalog_version
from tests import factories
from tests.conftest import csrf_token_from


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


def test_each_visitor_gets_their_own_csrf_token(app, csrf):
    alice, bob = app.test_client(), app.test_client()
    alice_token = csrf_token_from(alice.get("/").get_data(as_text=True))
    bob_token = csrf_token_from(bob.get("/").get_data(as_text=True))
    assert alice_token != bob_token
    # Bob's page came from the cache Alice filled, and his form still works.
    assert bob.post("/bahasa", data={"locale": "en", "csrf_token": bob_token}).status_code == 302
    assert alice.post("/bahasa", data={"locale": "en", "csrf_token": bob_token}).status_code == 400


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


def test_a_cached_page_is_served_compressed_with_the_visitors_own_token(app, csrf):
    import gzip

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
    token = csrf_token_from(html)
    # The same visitor's token: the form on the page works for them.
    plain = visitor.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True) == html.replace(token, csrf_token_from(plain.text))
    response = visitor.post(
        "/keranjang/tambah", data={"product_id": product.id, "quantity": 1, "csrf_token": token}
    )
    assert response.status_code == 302
