"""Checkout: contact and address, shipping per household, snapshots, stock, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from marketplace.catalog.models import Product
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.inventory.capacity import production_day_for
from marketplace.inventory.models import ProductionDay
from marketplace.orders import checkout, lifecycle
from marketplace.orders import stock as order_stock
from marketplace.orders.models import Order, OrderEvent, OrderStatus
from tests import factories


def stock_of(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).stock


def test_an_order_is_split_per_household_with_snapshots_and_shipping():
    tarakan = factories.make_seller(region_slug="tarakan", shop_name="Amplang Bu Uji")
    nunukan = factories.make_seller(region_slug="nunukan", shop_name="Rotan Krayan")
    crackers = factories.make_product(seller=tarakan, name="Amplang", price=35000, stock=10)
    bag = factories.make_product(seller=nunukan, name="Tas Rotan", price=250000, stock=3)
    order = factories.make_order((crackers, 6), (bag, 1), city="Kota Tarakan")

    assert order.status == OrderStatus.AWAITING_PAYMENT.value
    parts = {part.shop_name: part for part in order.parts}
    assert set(parts) == {"Amplang Bu Uji", "Rotan Krayan"}
    # 6 x 250 g in Tarakan itself: 2 kg started at the same-kabupaten rate
    assert parts["Amplang Bu Uji"].shipping_amount == 10000 + 5000
    # one bag from Nunukan to Tarakan: elsewhere in Kaltara, first kilogram
    assert parts["Rotan Krayan"].shipping_amount == 20000
    line = parts["Amplang Bu Uji"].lines[0]
    assert (line.product_name, line.unit_price_amount, line.quantity, line.line_amount) == (
        "Amplang",
        35000,
        6,
        210000,
    )
    assert order.items_amount == 210000 + 250000
    assert order.total_amount == order.items_amount + order.shipping_amount == 495000
    assert stock_of(crackers) == 4 and stock_of(bag) == 2

    # the snapshot stays when the product changes afterwards
    crackers.name, crackers.price_amount = "Amplang Baru", 99000
    db.session.flush()
    db.session.expire_all()
    assert db.session.get(Order, order.id).parts[0].lines[0].unit_price_amount == 35000


@pytest.mark.parametrize(
    ("province", "city", "weight_units", "expected"),
    [
        ("Kalimantan Utara", "Tarakan", 1, 10000),
        ("Kalimantan Utara", "Bulungan", 1, 20000),
        ("Kalimantan Timur", "Samarinda", 1, 35000),
        ("DKI Jakarta", "Jakarta Selatan", 1, 55000),
        ("DKI Jakarta", "Jakarta Selatan", 5, 55000 + 35000),
    ],
)
def test_shipping_by_destination_and_weight(province, city, weight_units, expected):
    product = factories.make_product(seller=factories.make_seller(region_slug="tarakan"))
    order = factories.make_order((product, weight_units), province=province, city=city)
    assert order.shipping_amount == expected


def test_shipping_table_is_a_setting(app):
    product = factories.make_product()
    app.config["SHIPPING_RATES"] = {
        zone: (1000, 1000) for zone in ("same_region", "kaltara", "kalimantan", "indonesia")
    }
    try:
        assert factories.make_order((product, 1)).shipping_amount == 1000
    finally:
        del app.config["SHIPPING_RATES"]


def test_pickup_only_in_the_same_kabupaten_and_costs_no_shipping():
    product = factories.make_product(seller=factories.make_seller(region_slug="tarakan"))
    order = factories.make_order(
        (product, 1), delivery="pickup", district="", street="", postal_code=""
    )
    assert order.shipping_amount == 0 and order.delivery == "pickup"
    with pytest.raises(order_stock.CheckoutError, match="Ambil sendiri hanya"):
        factories.make_order((product, 1), delivery="pickup", city="Bulungan")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"name": "  "}, "name"),
        ({"email": "bukan-email"}, "email"),
        ({"whatsapp": "12345"}, "whatsapp"),
        ({"delivery": "drone"}, "delivery"),
        ({"province": "Atlantis"}, "province"),
        ({"city": ""}, "city"),
        ({"district": ""}, "district"),
        ({"street": ""}, "street"),
        ({"postal_code": "7711"}, "postal_code"),
        ({"postal_code": "abcde"}, "postal_code"),
    ],
)
def test_bad_contact_or_address_names_the_field(override, field):
    product = factories.make_product(stock=5)
    with pytest.raises(order_stock.CheckoutError) as caught:
        factories.make_order((product, 1), **override)
    assert caught.value.field == field
    assert stock_of(product) == 5


def test_checkout_form_keeps_what_was_typed_and_shows_the_error(client):
    product = factories.make_product()
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    data = vars(factories.checkout_details(postal_code="77"))
    response = client.post("/checkout", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kode pos terdiri dari 5 angka" in html and "Jl. Yos Sudarso No. 5" in html


def test_an_empty_cart_cannot_be_ordered(client):
    assert client.get("/checkout").status_code == 302
    response = client.post("/checkout", data=vars(factories.checkout_details()))
    assert response.status_code == 400 and "kosong" in response.get_data(as_text=True)


def test_stock_sold_meanwhile_takes_nothing(monkeypatch):
    """Another buyer takes the last unit between reading the cart and taking stock."""
    plenty = factories.make_product(stock=10)
    scarce = factories.make_product(stock=1)
    take_stock = order_stock.take_order_stock

    def someone_else_first(order):
        db.session.execute(update(Product).where(Product.id == scarce.id).values(stock=0))
        take_stock(order)

    monkeypatch.setattr(checkout, "take_order_stock", someone_else_first)
    with pytest.raises(order_stock.SoldOut, match="tidak cukup"), db.session.begin_nested():
        factories.make_order((plenty, 3), (scarce, 1))
    # the savepoint (the request's transaction, in the app) undid the first UPDATE too
    assert stock_of(plenty) == 10


def test_a_cart_above_the_stock_is_refused_before_any_stock_moves():
    product = factories.make_product(stock=2)
    with pytest.raises(order_stock.CheckoutError):
        factories.make_order((product, 3))
    assert stock_of(product) == 2


def _made_to_order(seller=None, capacity=5, lead_time_days=3, **kwargs):
    product = factories.make_product(seller=seller, stock=0, **kwargs)
    product.is_made_to_order = True
    product.daily_capacity, product.lead_time_days = capacity, lead_time_days
    db.session.flush()
    return product


def _taken(product) -> dict[dt.date, tuple[int, int]]:
    rows = db.session.scalars(select(ProductionDay).where(ProductionDay.product_id == product.id))
    return {row.day: (row.units_taken, row.units_capacity) for row in rows}


def test_made_to_order_takes_each_listings_own_daily_capacity():
    seller = factories.make_seller()
    batik = _made_to_order(seller, capacity=3, lead_time_days=3)
    cloth = _made_to_order(seller, capacity=5, lead_time_days=3)
    order = factories.make_order((batik, 2), (cloth, 4))
    day = production_day_for(3, today_local())
    assert {line.production_day for line in order.parts[0].lines} == {day}
    assert _taken(batik) == {day: (2, 3)} and _taken(cloth) == {day: (4, 5)}
    # the batik's day is nearly full; the cloth's own capacity is not the batik's
    with (
        pytest.raises(order_stock.SoldOut, match="tidak bisa membuat") as error,
        db.session.begin_nested(),
    ):
        factories.make_order((batik, 2))
    assert "Kurangi jumlahnya" in str(error.value.message)
    factories.make_order((cloth, 1), (batik, 1))
    assert _taken(batik) == {day: (3, 3)} and _taken(cloth) == {day: (5, 5)}
    assert stock_of(batik) == stock_of(cloth) == 0


def test_the_production_day_is_the_first_working_day_after_the_lead_time():
    saturday = dt.date(2026, 11, 28)
    assert production_day_for(0, saturday) == saturday
    assert production_day_for(1, saturday) == dt.date(2026, 11, 30)  # not Sunday
    assert production_day_for(2, saturday) == dt.date(2026, 11, 30)
    assert production_day_for(3, dt.date(2026, 11, 30)) == dt.date(2026, 12, 3)


def test_an_expired_order_gives_its_units_back_once():
    product = _made_to_order(capacity=4)
    order = factories.make_order((product, 3))
    [day] = _taken(product)
    later = now_utc() + dt.timedelta(hours=1)
    assert lifecycle.expire_due_orders(now=later) == 1
    assert lifecycle.expire_order(order.id, now=later) is False
    db.session.expire_all()
    assert _taken(product) == {day: (0, 4)}
    factories.make_order((product, 4))
    assert _taken(product) == {day: (4, 4)}


def test_the_same_checkout_key_gives_the_same_order():
    product = factories.make_product(stock=5)
    first = factories.make_order((product, 1), key="same-key")
    again = factories.make_order((product, 1), key="same-key")
    assert again.id == first.id
    assert stock_of(product) == 4


def test_double_submit_over_http_lands_on_one_order(client):
    product = factories.make_product(stock=5)
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "2"})
    client.get("/checkout")
    with client.session_transaction() as session:
        key = session["checkout_key"]
    data = {**vars(factories.checkout_details()), "checkout_key": key}
    first = client.post("/checkout", data=data)
    second = client.post("/checkout", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert stock_of(product) == 3
    # a second tab that still shows the old form: the cart is empty, it goes to the order
    assert client.get("/checkout").headers["Location"].startswith("/pesanan/")


def test_unpaid_orders_expire_and_give_stock_back_exactly_once():
    product = factories.make_product(stock=5)
    order = factories.make_order((product, 2))
    assert lifecycle.expire_due_orders() == 0
    later = now_utc() + checkout.PAYMENT_WINDOW + dt.timedelta(seconds=1)
    assert lifecycle.expire_due_orders(now=later) == 1
    assert lifecycle.expire_due_orders(now=later) == 0
    assert lifecycle.expire_order(order.id, now=later) is False
    assert stock_of(product) == 5
    db.session.refresh(order)
    assert order.status == OrderStatus.EXPIRED.value
    moves = db.session.scalars(
        select(OrderEvent.to_status)
        .where(OrderEvent.order_id == order.id, OrderEvent.part_id.is_(None))
        .order_by(OrderEvent.id)
    ).all()
    assert moves == ["awaiting_payment", "expired"]


def test_expiry_runs_lazily_on_the_order_page_and_from_the_cli(client, app):
    product = factories.make_product(stock=5)
    lazy = factories.make_order((product, 1))
    by_cli = factories.make_order((product, 1))
    for order in (lazy, by_cli):
        order.expires_at = now_utc() - dt.timedelta(minutes=1)
    db.session.commit()
    assert "Kedaluwarsa" in client.get(f"/pesanan/{lazy.access_token}").get_data(as_text=True)
    # The command shares this test's session: end its savepoint (which holds the
    # request's work), as the command's own unit of work would roll it back.
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert result.exit_code == 0 and "1 order(s) expired" in result.output
    assert stock_of(product) == 5


def test_someone_elses_order_token_is_a_404(client):
    assert client.get("/pesanan/bukan-token").status_code == 404
    assert client.get("/pesanan/bukan-token/bayar").status_code == 404


def test_checkout_releases_the_stock_of_orders_nobody_paid(client):
    product = factories.make_product(stock=1)
    unpaid = factories.make_order((product, 1))
    unpaid.expires_at = now_utc() - dt.timedelta(seconds=1)
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    # the last unit is held by an order unpaid for more than 30 minutes
    response = client.post("/checkout", data=vars(factories.checkout_details()))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, unpaid.id).status == OrderStatus.EXPIRED.value
    assert stock_of(product) == 0


def test_orders_below_the_minimum_are_refused():
    cheap = factories.make_product(price=5000, stock=5)
    with pytest.raises(order_stock.CheckoutError, match="minimal Rp10.000"):
        factories.make_order((cheap, 1))
    assert factories.make_order((cheap, 2)).items_amount == 10000


def test_hitung_ongkir_shows_shipping_for_the_address_typed_without_ordering(client):
    product = factories.make_product(seller=factories.make_seller(region_slug="tarakan"))
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    data = {
        "action": "recalculate",
        "delivery": "ship",
        "province": "31",  # DKI Jakarta
        "city": "31.74",  # Kota Administrasi Jakarta Selatan
    }
    html = client.post("/checkout", data=data).get_data(as_text=True)
    # the kabupaten/kota is chosen from the list now: the choice stays selected
    assert "Rp55.000" in html and '<option selected value="31.74">' in html
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    pickup = {**data, "delivery": "pickup", "province": "65", "city": "65.71"}  # Kota Tarakan
    html = client.post("/checkout", data=pickup).get_data(as_text=True)
    assert "<span>Ongkir</span> <span>Ambil sendiri</span>" in html and "<dd>Rp0</dd>" in html
