"""The forms on cached public pages carry no token: where the request comes from protects them.

A cached public page is the same bytes for every visitor, so its two forms (the language
switch, "Masukkan keranjang") cannot carry a token bound to a session. Their views check
what the browser says about the request's origin instead (``marketplace.crossorigin``):
Sec-Fetch-Site, else Origin, else Referer; a request that says none of them is refused.
Every other form keeps its token (test_csrf.py).
"""

from __future__ import annotations

import re

import pytest

from marketplace.crossorigin import ORIGIN_CHECKED
from marketplace.db import db
from tests import factories

REFUSED = "tidak datang dari halaman Pasar Oleh-Oleh Kaltara"
HOST = "localhost"  # the test client's

#: What browsers send with a form posted from one of the site's own pages, and from others.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": f"http://{HOST}"}
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Origin": "https://penipu.example"}
SAME_SITE = {"Sec-Fetch-Site": "same-site", "Origin": f"http://toko.{HOST}"}
#: Browsers from before Fetch Metadata (Safari before 16.4, Firefox before 90) send Origin.
OLD_SAME_ORIGIN = {"Origin": f"http://{HOST}"}
OLD_CROSS_SITE = {"Origin": "https://penipu.example"}
SANDBOXED = {"Origin": "null"}
#: Older still (Firefox before 70 and the phones built on it) send only a Referer.
OLDER_SAME_ORIGIN = {"Referer": f"http://{HOST}/produk/amplang"}
OLDER_CROSS_SITE = {"Referer": "https://penipu.example/hadiah"}
#: A script (curl), or a browser with referrers turned off.
NO_HEADERS: dict[str, str] = {}

ACCEPTED = [SAME_ORIGIN, {"Sec-Fetch-Site": "none"}, OLD_SAME_ORIGIN, OLDER_SAME_ORIGIN]
REFUSED_HEADERS = [CROSS_SITE, SAME_SITE, OLD_CROSS_SITE, SANDBOXED, OLDER_CROSS_SITE, NO_HEADERS]
IDS = {
    id(SAME_ORIGIN): "same-origin",
    id(ACCEPTED[1]): "typed-by-the-person",
    id(OLD_SAME_ORIGIN): "origin-only-ours",
    id(OLDER_SAME_ORIGIN): "referer-only-ours",
    id(CROSS_SITE): "cross-site",
    id(SAME_SITE): "same-site-subdomain",
    id(OLD_CROSS_SITE): "origin-only-foreign",
    id(SANDBOXED): "origin-null",
    id(OLDER_CROSS_SITE): "referer-only-foreign",
    id(NO_HEADERS): "no-headers",
}


def _id(headers: dict) -> str:
    return IDS[id(headers)]


#: The public pages the page cache answers for anonymous visitors.
def cached_pages() -> list[str]:
    product = factories.make_product(name="Amplang Asal Usul", stock=5)
    db.session.commit()
    return [
        "/",
        "/produk",
        "/search?q=amplang",
        "/oleh-oleh-resmi",
        f"/produk/{product.slug}",
        f"/toko/{product.seller.slug}",
    ]


def view_of(app, endpoint: str) -> str:
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}"


def cart_of(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("cart", {}))


# --- which views go without a token ---------------------------------------------------------


def test_the_forms_on_cached_pages_are_exactly_the_views_checked_by_origin(app, client, csrf):
    """Narrow: the views without a token are the ones a cached page's forms post to, and
    those pages carry no token at all (one would be served to the next visitor)."""
    adapter = app.url_map.bind(HOST)
    posted_to = set()
    for path in cached_pages():
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "ETag" in response.headers, path
        assert "csrf_token" not in html, path
        for form in re.findall(r"<form\b[^>]*>", html):
            if 'method="post"' in form:
                action = re.search(r'action="([^"]+)"', form).group(1)
                endpoint, _ = adapter.match(action, method="POST")
                posted_to.add(view_of(app, endpoint))
    assert posted_to == ORIGIN_CHECKED
    assert {
        view_of(app, "site.language"),
        view_of(app, "orders.cart_add"),
    } == ORIGIN_CHECKED


# --- the language switch ----------------------------------------------------------------


@pytest.mark.parametrize("headers", ACCEPTED, ids=_id)
def test_the_language_switch_from_our_pages_works(client, csrf, headers):
    response = client.post("/bahasa", data={"locale": "en", "next": "/produk"}, headers=headers)
    assert response.status_code == 302 and response.headers["Location"] == "/produk"
    assert "lang=en" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("headers", REFUSED_HEADERS, ids=_id)
def test_a_language_switch_from_elsewhere_is_refused(client, csrf, headers):
    response = client.post("/bahasa", data={"locale": "en"}, headers=headers)
    assert response.status_code == 403
    assert REFUSED in response.get_data(as_text=True)
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_a_signed_in_persons_language_changes_only_from_our_pages(client, csrf, login_as):
    user = login_as("buyer")
    assert client.post("/bahasa", data={"locale": "en"}, headers=CROSS_SITE).status_code == 403
    db.session.refresh(user)
    assert user.locale != "en"
    assert client.post("/bahasa", data={"locale": "en"}, headers=SAME_ORIGIN).status_code == 302
    db.session.refresh(user)
    assert user.locale == "en"


# --- adding to the cart ------------------------------------------------------------------


@pytest.mark.parametrize("headers", ACCEPTED, ids=_id)
def test_adding_to_the_cart_from_our_pages_works(client, csrf, headers):
    product = factories.make_product(stock=5)
    db.session.commit()
    data = {"product_id": product.id, "quantity": "2"}
    assert client.post("/keranjang/tambah", data=data, headers=headers).status_code == 302
    assert cart_of(client) == {str(product.id): [2, product.price_amount]}


@pytest.mark.parametrize("headers", REFUSED_HEADERS, ids=_id)
def test_adding_to_the_cart_from_elsewhere_is_refused(client, csrf, headers):
    product = factories.make_product(stock=5)
    db.session.commit()
    data = {"product_id": product.id, "quantity": "2"}
    response = client.post("/keranjang/tambah", data=data, headers=headers)
    assert response.status_code == 403
    assert REFUSED in response.get_data(as_text=True)
    assert cart_of(client) == {}


def test_the_product_pages_script_adds_from_our_page_only(client, csrf):
    product = factories.make_product(stock=5)
    db.session.commit()
    data = {"product_id": product.id, "quantity": "1"}
    script = {"Accept": "application/json"}
    added = client.post("/keranjang/tambah", data=data, headers={**script, **SAME_ORIGIN})
    assert added.status_code == 200 and added.get_json()["cart_count"] == 1
    refused = client.post("/keranjang/tambah", data=data, headers={**script, **CROSS_SITE})
    assert refused.status_code == 403


def test_a_signed_in_buyers_cart_changes_only_from_our_pages(client, csrf, login_as):
    from marketplace.orders import cart as carts

    buyer = login_as("buyer")
    product = factories.make_product(stock=5)
    db.session.commit()
    data = {"product_id": product.id, "quantity": "1"}
    assert client.post("/keranjang/tambah", data=data, headers=CROSS_SITE).status_code == 403
    assert not carts.load_cart(user_id=buyer.id, session_cart={}).lines
    assert client.post("/keranjang/tambah", data=data, headers=SAME_ORIGIN).status_code == 302
    assert len(carts.load_cart(user_id=buyer.id, session_cart={}).lines) == 1


def test_the_rest_of_the_cart_still_needs_its_token(client, csrf):
    """Only adding goes without a token: the cart page is a visitor's own, never cached."""
    product = factories.make_product(stock=5)
    db.session.commit()
    data = {"product_id": product.id, "quantity": "1"}
    client.post("/keranjang/tambah", data=data, headers=SAME_ORIGIN)
    refused = client.post("/keranjang/ubah", data={**data, "quantity": "3"}, headers=SAME_ORIGIN)
    assert refused.status_code == 400
    assert cart_of(client)[str(product.id)][0] == 1
