"""The cart: add, change, remove; in the session signed out, in the account signed in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalog.models import ProductStatus
from marketplace.db import db
from marketplace.orders import cart as carts
from marketplace.orders.models import CartItem
from tests import factories
from tests.factories import PASSWORD


def add(client, product, quantity="1"):
    return client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": quantity})


def session_cart(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get("cart") or {})


def test_signed_out_cart_lives_in_the_session_grouped_by_household(client):
    shop_a, shop_b = factories.make_seller(shop_name="Amplang A"), factories.make_seller()
    crackers = factories.make_product(seller=shop_a, name="Amplang Bandeng", price=35000)
    honey = factories.make_product(seller=shop_a, name="Madu Kelulut", price=150000)
    bag = factories.make_product(seller=shop_b, name="Tas Rotan", price=250000)
    db.session.commit()
    for product, quantity in ((crackers, "2"), (honey, "1"), (bag, "1"), (crackers, "1")):
        assert add(client, product, quantity).status_code == 302
    assert session_cart(client)[str(crackers.id)] == [3, 35000]
    assert db.session.scalar(select(CartItem.id)) is None

    html = client.get("/keranjang").get_data(as_text=True)
    assert html.count('class="cart-group"') == 2
    assert "Amplang A" in html and "Rp105.000" in html and "Rp250.000" in html
    # each household's shipping is shown: 4 x 250 g from Tarakan to Kaltara is one kilogram
    assert "Ongkir dari Amplang A" in html and "Rp20.000" in html


def test_each_household_says_its_parcels_weight_in_the_pages_language(client):
    """The sentence under a household's lines (``labels.cart_groups``): its shop, escaped
    once, and its parcel's weight, in the page's language."""
    shop = factories.make_seller(shop_name="Amplang & Kerupuk")
    product = factories.make_product(seller=shop, price=35000)  # 250 g
    db.session.commit()
    add(client, product, "2")
    written = "(perkiraan, 500 g): <strong>Rp20.000</strong>"
    html = client.get("/keranjang").get_data(as_text=True)
    assert f"Ongkir dari Amplang &amp; Kerupuk {written}" in html
    client.post("/bahasa", data={"locale": "en", "next": "/keranjang"})
    html = client.get("/keranjang").get_data(as_text=True)
    assert "Shipping from Amplang &amp; Kerupuk (estimate, 500 g): <strong>Rp20.000" in html


def test_change_and_remove(client):
    product = factories.make_product(price=20000)
    db.session.commit()
    add(client, product, "2")
    client.post("/keranjang/ubah", data={"product_id": product.id, "quantity": "5"})
    assert session_cart(client)[str(product.id)][0] == 5
    client.post("/keranjang/hapus", data={"product_id": product.id})
    assert session_cart(client) == {}
    assert "masih kosong" in client.get("/keranjang").get_data(as_text=True)


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "", "1000", "1e3", "99999999999999999999"])
def test_bad_quantities_are_refused_with_a_message(client, quantity):
    product = factories.make_product()
    db.session.commit()
    response = client.post(
        "/keranjang/tambah", data={"product_id": product.id, "quantity": quantity}
    )
    assert response.status_code == 302
    assert session_cart(client) == {}
    assert "Jumlah harus antara 1 dan 99" in client.get("/keranjang").get_data(as_text=True)


@pytest.mark.parametrize("product_id", ["", "abc", "-3", "99999999999999999"])
def test_bad_product_ids_are_a_400_or_a_message(client, product_id):
    response = client.post("/keranjang/tambah", data={"product_id": product_id, "quantity": "1"})
    assert response.status_code in (302, 400)
    assert session_cart(client) == {}


def test_a_product_not_for_sale_cannot_be_added(client):
    draft = factories.make_product(status=ProductStatus.DRAFT)
    db.session.commit()
    add(client, draft)
    assert session_cart(client) == {}
    assert "tidak tersedia lagi" in client.get("/keranjang").get_data(as_text=True)


def test_signed_in_cart_is_kept_in_the_account(client, login_as):
    user = login_as("buyer")
    product = factories.make_product()
    db.session.commit()
    add(client, product, "2")
    item = db.session.scalar(select(CartItem).where(CartItem.user_id == user.id))
    assert item.quantity == 2 and item.seen_price_amount == product.price_amount
    assert session_cart(client) == {}


def test_cart_is_merged_at_sign_in(client):
    user = factories.make_user(email="gabung@contoh.id")
    mine, both = factories.make_product(), factories.make_product()
    carts.add_to_cart(both.id, 1, user_id=user.id, session_cart={})
    db.session.commit()
    add(client, both, "2")
    add(client, mine, "1")
    response = client.post("/akun/masuk", data={"login": "gabung@contoh.id", "password": PASSWORD})
    assert response.status_code == 302
    rows = {
        item.product_id: item.quantity
        for item in db.session.scalars(select(CartItem).where(CartItem.user_id == user.id))
    }
    assert rows == {both.id: 3, mine.id: 1}
    assert session_cart(client) == {}


def test_price_change_and_withdrawn_product_are_flagged_and_block_checkout(client):
    product = factories.make_product(price=35000)
    gone = factories.make_product()
    db.session.commit()
    add(client, product)
    add(client, gone)
    product.price_amount = 40000
    gone.status = ProductStatus.ARCHIVED.value
    db.session.commit()

    html = client.get("/keranjang").get_data(as_text=True)
    assert "Harga berubah dari Rp35.000 menjadi Rp40.000" in html
    assert "sudah tidak dijual" in html
    response = client.post("/checkout", data=vars(factories.checkout_details()))
    assert response.status_code == 409
    assert "tidak dijual lagi" in response.get_data(as_text=True)
    client.post("/keranjang/hapus", data={"product_id": gone.id})
    response = client.post("/checkout", data=vars(factories.checkout_details()))
    assert response.status_code == 400
    assert "berubah harga" in response.get_data(as_text=True)

    client.post("/keranjang/setujui-harga")
    html = client.get("/keranjang").get_data(as_text=True)
    assert "Harga berubah" not in html and "Lanjut ke pembayaran" in html


def test_a_line_above_the_stock_is_flagged(client):
    product = factories.make_product(stock=2)
    db.session.commit()
    add(client, product, "5")
    assert "Stok tinggal 2" in client.get("/keranjang").get_data(as_text=True)


def test_the_product_page_has_an_add_to_cart_form_and_the_header_a_cart_link(client):
    product = factories.make_product()
    db.session.commit()
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert 'action="/keranjang/tambah"' in html and 'href="/keranjang"' in html


def test_cart_page_query_count_does_not_grow_with_lines(client, count_queries):
    seller = factories.make_seller()
    products = [factories.make_product(seller=seller) for _ in range(6)]
    db.session.commit()
    add(client, products[0])
    with count_queries() as one:
        client.get("/keranjang")
    for product in products[1:]:
        add(client, product)
    with count_queries() as six:
        client.get("/keranjang")
    assert len(six) == len(one)


def test_adding_from_the_product_page_needs_no_token_but_the_page_itself(client, csrf):
    """The product page is cached, the same for everybody: its form carries no token, and
    the request's origin is checked instead (tests/security/test_cross_origin.py)."""
    product = factories.make_product()
    db.session.commit()
    assert "csrf_token" not in client.get(f"/produk/{product.slug}").get_data(as_text=True)
    data = {"product_id": product.id, "quantity": "1"}
    elsewhere = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/keranjang/tambah", data=data, headers=elsewhere).status_code == 403
    assert session_cart(client) == {}
    from_the_page = {"Sec-Fetch-Site": "same-origin"}
    assert client.post("/keranjang/tambah", data=data, headers=from_the_page).status_code == 302
    assert session_cart(client) == {str(product.id): [1, product.price_amount]}


def test_the_seller_header_links_to_the_order_inbox(client, login_as):
    login_as("seller")
    assert 'href="/penjual/pesanan"' in client.get("/").get_data(as_text=True)


def test_the_product_pages_script_adds_in_place_and_hears_the_answer(client):
    """Asked for JSON (the product page's script), the answer says what happened and how many
    lines the cart holds, and no message waits for the next page."""
    product = factories.make_product(stock=2)
    db.session.commit()
    headers = {"Accept": "application/json"}
    added = client.post(
        "/keranjang/tambah", data={"product_id": product.id, "quantity": "2"}, headers=headers
    )
    assert added.status_code == 200
    assert added.get_json() == {
        "ok": True,
        "message": "Produk dimasukkan ke keranjang.",
        "cart_url": "/keranjang",
        "cart_count": 2,
    }
    refused = client.post(
        "/keranjang/tambah", data={"product_id": product.id, "quantity": "0"}, headers=headers
    )
    assert refused.status_code == 400
    assert refused.get_json()["ok"] is False
    assert refused.get_json()["message"].startswith("Jumlah harus antara 1 dan")
    # Nothing was flashed for a page the visitor never leaves to.
    assert "Produk dimasukkan ke keranjang." not in client.get("/keranjang").get_data(as_text=True)


def test_a_name_with_markup_is_written_escaped_in_the_lines_forms(client):
    product = factories.make_product(name='Amplang "Pedas" <b>&</b>', price=20000)
    db.session.commit()
    add(client, product, "2")
    html = client.get("/keranjang").get_data(as_text=True)
    escaped = "Amplang &#34;Pedas&#34; &lt;b&gt;&amp;&lt;/b&gt;"
    assert f'aria-label="Kurangi satu {escaped}"' in html
    assert f'aria-label="Tambah satu {escaped}"' in html
    assert "<b>&" not in html
