"""Product options (rasa, ukuran): the household sets them, the buyer chooses one, and the
cart, checkout, stock, order lines and payment lines carry it.

A product without options sells exactly as before; with them, its price is its cheapest
option's and its stock their sum, and an option's stock is taken by the same guarded UPDATE
path as a product's: never below zero, however many buyers race for it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.pricing import add_promotion
from marketplace.db import WITA, db
from marketplace.money.payments import order_lines
from marketplace.orders import lifecycle
from marketplace.orders.checkout import SoldOut
from marketplace.orders.models import OrderLine
from tests import factories
from tests.orders.test_concurrency import run_together


def _fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


@pytest.fixture
def amplang():
    seller = factories.make_seller(shop_name="Amplang Bu Siti")
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", price=40000)
    original, pedas, jumbo = factories.make_options(
        product,
        ("Original / 250 g", 35000, 5),
        ("Pedas / 250 g", 37000, 3),
        ("Jumbo 500 g", 65000, 0),
    )
    return product, original, pedas, jumbo


# -- the household's options ----------------------------------------------------------------


def test_options_give_the_product_its_lowest_price_and_their_stock(amplang):
    product, original, pedas, jumbo = amplang
    assert (product.price_amount, product.stock) == (35000, 8)
    assert [v.label for v in product.options] == [
        "Original / 250 g",
        "Pedas / 250 g",
        "Jumbo 500 g",
    ]
    assert _fresh(Product, product.id).has_price_range


def test_the_options_page_names_every_problem_and_keeps_what_was_typed(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    product = factories.make_product(seller=seller, price=40000)
    page = client.get(f"/penjual/produk/{product.id}/pilihan")
    assert page.status_code == 200
    form = {
        "label-0": "Pedas",
        "price-0": "35rb",
        "stock-0": "4",
        "weight-0": "250",
        "active-0": "1",
        "label-1": "",
        "price-1": "12.5",
        "stock-1": "²",
        "weight-1": "0",
        "active-1": "1",
        "idempotency_token": factories.form_token(),  # the page's, kept when refused
    }
    response = client.post(f"/penjual/produk/{product.id}/pilihan", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Isi nama pilihan" in html
    assert "Harga antara Rp1" in html
    assert "Isi stok (0 sampai 100.000)." in html
    assert "Berat kirim antara 1 dan 50.000 gram." in html
    assert 'value="35rb"' in html and 'value="12.5"' in html
    assert db.session.scalar(select(func.count(ProductVariant.id))) == 0

    form.update({"label-1": "Original", "price-1": "30.000", "stock-1": "6", "weight-1": "250"})
    response = client.post(f"/penjual/produk/{product.id}/pilihan", data=form)
    assert response.status_code == 302
    product = _fresh(Product, product.id)
    assert [(v.label, v.price_amount, v.stock) for v in product.options] == [
        ("Pedas", 35000, 4),
        ("Original", 30000, 6),
    ]
    assert (product.price_amount, product.stock) == (30000, 10)

    # deactivated: no longer sold, the product follows the rest
    pedas, original = product.options
    form = {
        "id-0": str(pedas.id), "label-0": "Pedas", "price-0": "35000", "stock-0": "4",
        "weight-0": "250",
        "id-1": str(original.id), "label-1": "Original", "price-1": "30000", "stock-1": "6",
        "weight-1": "250", "active-1": "1",
        "idempotency_token": factories.form_token(),  # the page shown after the save
    }  # fmt: skip
    assert client.post(f"/penjual/produk/{product.id}/pilihan", data=form).status_code == 302
    product = _fresh(Product, product.id)
    assert [v.label for v in product.options] == ["Original"]
    assert (product.price_amount, product.stock) == (30000, 6)


def test_a_household_cannot_edit_another_s_options(client, login_as, amplang):
    _product, original, *_ = amplang
    mine = factories.make_product(seller=factories.make_seller())
    login_as(user=mine.seller.user)
    form = {"id-0": str(original.id), "label-0": "Curang", "price-0": "1000", "stock-0": "1",
            "weight-0": "10", "active-0": "1",
            "idempotency_token": factories.form_token()}  # fmt: skip
    response = client.post(f"/penjual/produk/{mine.id}/pilihan", data=form)
    assert response.status_code == 400
    assert "bukan milik produk ini" in response.get_data(as_text=True)
    assert _fresh(ProductVariant, original.id).label == "Original / 250 g"


# -- the product page and the cart ----------------------------------------------------------


def test_the_product_page_offers_the_options_without_script(client, amplang):
    product, original, pedas, jumbo = amplang
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    radios = re.findall(r'<input type="radio" name="variant_id" value="(\d+)"([^>]*)>', html)
    assert [int(value) for value, _ in radios] == [original.id, pedas.id, jumbo.id]
    attrs = dict((int(value), rest) for value, rest in radios)
    assert 'form="add-to-cart"' in attrs[original.id] and "checked" in attrs[original.id]
    assert "disabled" in attrs[jumbo.id]  # sold out
    assert 'id="add-to-cart"' in html
    assert "mulai" in html and "Rp35.000" in html and "Rp65.000" in html
    assert "mulai" in client.get("/produk").get_data(as_text=True)


def test_a_product_with_options_is_bought_by_option(client, amplang):
    product, original, pedas, jumbo = amplang
    refused = client.post(
        "/keranjang/tambah",
        data={"product_id": product.id, "quantity": "1"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code >= 400
    assert "Pilih salah satu pilihan" in refused.get_json()["message"]
    other = factories.make_product()
    refused = client.post(
        "/keranjang/tambah",
        data={"product_id": product.id, "variant_id": other.id, "quantity": "1"},
        headers={"Accept": "application/json"},
    )
    assert "tidak tersedia lagi" in refused.get_json()["message"]

    for variant, quantity in ((pedas, 2), (original, 1), (pedas, 1)):
        client.post(
            "/keranjang/tambah",
            data={"product_id": product.id, "variant_id": variant.id, "quantity": quantity},
        )
    html = client.get("/keranjang").get_data(as_text=True)
    assert "Pedas / 250 g" in html and "Original / 250 g" in html
    assert f'id="q-{product.id}-{pedas.id}"' in html
    assert "Rp111.000" in html  # 3 x 37.000
    assert "Rp146.000" in html  # with one original
    client.post("/keranjang/hapus", data={"product_id": product.id, "variant_id": original.id})
    html = client.get("/keranjang").get_data(as_text=True)
    assert "Original / 250 g" not in html and "Pedas / 250 g" in html


def test_a_signed_in_buyer_s_cart_keeps_options_apart(client, login_as, amplang):
    product, original, pedas, _jumbo = amplang
    buyer = login_as("buyer")
    for variant in (original, pedas):
        client.post(
            "/keranjang/tambah",
            data={"product_id": product.id, "variant_id": variant.id, "quantity": "2"},
        )
    from marketplace.orders.models import CartItem

    rows = db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all()
    assert sorted((row.variant_id, row.quantity) for row in rows) == [
        (original.id, 2),
        (pedas.id, 2),
    ]


def test_the_cart_shows_the_option_s_own_photo_else_the_cover_and_a_changed_photo(
    client, login_as, amplang
):
    from marketplace.catalog.models import ProductPhoto

    product, original, pedas, _jumbo = amplang
    own = "b" * 64
    product.photos.append(
        ProductPhoto(key=own, width=400, height=400, variant_widths="320,400", position=1)
    )
    _fresh(ProductVariant, pedas.id).photo_key = own
    db.session.commit()
    login_as("buyer")
    for variant in (original, pedas):
        client.post(
            "/keranjang/tambah",
            data={"product_id": product.id, "variant_id": variant.id, "quantity": "1"},
        )
    photos = re.findall(r'src="[^"]*photos/(\w{64})/', client.get("/keranjang").get_data(True))
    assert photos == ["0" * 64, own]

    # the cover changes: the next page shows it (photos are kept per catalogue version)
    cover = _fresh(Product, product.id).photos[0]
    cover.key = "c" * 64
    db.session.commit()
    photos = re.findall(r'src="[^"]*photos/(\w{64})/', client.get("/keranjang").get_data(True))
    assert photos == ["c" * 64, own]


# -- checkout, stock, order lines ------------------------------------------------------------


def test_checkout_takes_the_option_s_stock_and_keeps_its_label(amplang):
    product, original, pedas, _jumbo = amplang
    order = factories.make_order((pedas, 2), (original, 1))
    lines = {line.variant_id: line for line in order.parts[0].lines}
    assert lines[pedas.id].variant_label == "Pedas / 250 g"
    assert lines[pedas.id].full_name == "Amplang Tenggiri (Pedas / 250 g)"
    assert (lines[pedas.id].unit_price_amount, lines[pedas.id].line_amount) == (37000, 74000)
    assert lines[original.id].unit_price_amount == 35000
    assert order.items_amount == 109000
    assert order.parts[0].weight_grams == 900
    assert (_fresh(ProductVariant, pedas.id).stock, _fresh(ProductVariant, original.id).stock) == (
        1,
        4,
    )
    assert _fresh(Product, product.id).stock == 5
    names = [line.name for line in order_lines(order)]
    assert any("Amplang Tenggiri (Pedas / 250 g)" in name for name in names)

    # the label stays as sold when the household renames the option
    _fresh(ProductVariant, pedas.id).label = "Super Pedas"
    db.session.flush()
    assert _fresh(OrderLine, lines[pedas.id].id).variant_label == "Pedas / 250 g"


def test_an_option_s_stock_is_never_oversold_by_one_cart(amplang):
    product, _original, pedas, _jumbo = amplang
    with pytest.raises(SoldOut, match="tidak cukup"):
        factories.make_order((pedas, 4))
    db.session.rollback()


def test_an_expired_order_gives_the_option_its_units_back_once(amplang, clock):
    product, _original, pedas, _jumbo = amplang
    order = factories.make_order((pedas, 3))
    assert _fresh(ProductVariant, pedas.id).stock == 0
    clock.move(minutes=31)
    assert lifecycle.expire_order(order.id)
    assert not lifecycle.expire_order(order.id)
    assert _fresh(ProductVariant, pedas.id).stock == 3
    assert _fresh(Product, product.id).stock == 8


def test_a_promotion_lowers_every_option_s_price(amplang, clock):
    clock.set(dt.datetime(2026, 12, 6, 10, tzinfo=WITA))
    product, original, pedas, _jumbo = amplang
    add_promotion(product, "percent", 10, dt.date(2026, 12, 6), dt.date(2026, 12, 8))
    db.session.flush()
    assert _fresh(ProductVariant, pedas.id).price_now == 33300
    assert _fresh(Product, product.id).price_now == 31500  # the cheapest option's
    order = factories.make_order((pedas, 1))
    [line] = order.parts[0].lines
    assert (line.unit_price_amount, line.list_price_amount) == (33300, 37000)
    assert line.promotion_id is not None


def test_a_product_without_options_sells_as_before():
    product = factories.make_product(price=25000, stock=4)
    order = factories.make_order((product, 2))
    [line] = order.parts[0].lines
    assert (line.variant_id, line.variant_label, line.full_name) == (None, "", product.name)
    assert _fresh(Product, product.id).stock == 2


# -- racing for an option's last units -------------------------------------------------------

BUYERS = 12
UNITS = 4


def test_buyers_racing_for_an_option_never_take_it_below_zero(app, real_commits):
    """Twelve buyers at once for an option with four units: four orders, the option at zero
    (never below), the product's stock their sum, the other option untouched."""
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, price=30000)
    _original, pedas = factories.make_options(
        product, ("Original", 30000, 6), ("Pedas", 32000, UNITS)
    )
    real_commits.commit()
    clients = [app.test_client() for _ in range(BUYERS)]
    for client in clients:
        client.post(
            "/keranjang/tambah",
            data={"product_id": product.id, "variant_id": pedas.id, "quantity": "1"},
        )

    def buy(i):
        form = vars(factories.checkout_details(email=f"pembeli{i}@contoh.id"))
        response = clients[i].post("/checkout", data=form)
        return response.status_code, response.get_data(as_text=True)

    results = run_together(BUYERS, buy)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(303) == UNITS
    assert statuses.count(409) == BUYERS - UNITS
    assert all("tidak cukup" in body for status, body in results if status == 409)
    db.session.rollback()  # end this session's snapshot, taken before the race
    stocks = dict(
        db.session.execute(
            select(ProductVariant.label, ProductVariant.stock).where(
                ProductVariant.product_id == product.id
            )
        ).all()
    )
    assert stocks == {"Original": 6, "Pedas": 0}
    assert db.session.get(Product, product.id).stock == 6
    sold = db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
            OrderLine.variant_id == pedas.id
        )
    )
    assert sold == UNITS


# -- copies ----------------------------------------------------------------------------------
# (options in gift boxes: tests/institutions/test_box_options.py)


def test_a_copy_of_a_product_keeps_its_options(amplang):
    from marketplace.sellers.services import duplicate_product

    product, *_ = amplang
    copy = duplicate_product(product, product.seller.user)
    copy = _fresh(Product, copy.id)
    assert [(v.label, v.price_amount, v.stock) for v in copy.options] == [
        ("Original / 250 g", 35000, 5),
        ("Pedas / 250 g", 37000, 3),
        ("Jumbo 500 g", 65000, 0),
    ]
    assert (copy.price_amount, copy.stock) == (35000, 8)


def test_options_of_a_made_to_order_product_share_its_daily_capacity():
    from marketplace.inventory.models import ProductionDay

    product = factories.make_product(name="Kue Lapis", stock=0)
    product.is_made_to_order, product.daily_capacity, product.lead_time_days = True, 4, 2
    db.session.flush()
    pandan, coklat = factories.make_options(product, ("Pandan", 50000, 0), ("Coklat", 55000, 0))
    order = factories.make_order((pandan, 2), (coklat, 2))
    assert {line.variant_label for line in order.parts[0].lines} == {"Pandan", "Coklat"}
    [day] = db.session.scalars(select(ProductionDay).where(ProductionDay.product_id == product.id))
    assert day.units_taken == 4
    with pytest.raises(SoldOut, match="tidak bisa membuat"):
        factories.make_order((coklat, 1))
    db.session.rollback()


def test_out_of_stock_empties_every_option(amplang):
    from marketplace.sellers.services import mark_out_of_stock

    product, *_ = amplang
    mark_out_of_stock(product, product.seller.user)
    product = _fresh(Product, product.id)
    assert [v.stock for v in product.options] == [0, 0, 0] and product.stock == 0


def test_the_cart_shows_an_option_s_stock_less_what_quotes_hold_now(client, login_as, amplang):
    """The cart reads an option's stock for sale as the page is asked for: a quote's hold
    shows at once, and so does its release."""
    from marketplace.db import now_utc, today_local
    from marketplace.inventory.models import CapacityHold

    product, _original, pedas, _jumbo = amplang
    login_as("buyer")
    client.post(
        "/keranjang/tambah",
        data={"product_id": product.id, "variant_id": pedas.id, "quantity": "3"},
    )
    assert "Stok tinggal" not in client.get("/keranjang").get_data(as_text=True)
    hold = CapacityHold(
        product_id=product.id,
        variant_id=pedas.id,
        quantity=2,
        due_on=today_local() + dt.timedelta(days=10),
        expires_at=now_utc() + dt.timedelta(days=3),
    )
    db.session.add(hold)
    db.session.commit()
    html = client.get("/keranjang").get_data(as_text=True)
    assert "Stok tinggal 1." in html and "Pedas / 250 g" in html
    hold.released_at = now_utc()
    db.session.commit()
    assert "Stok tinggal" not in client.get("/keranjang").get_data(as_text=True)
