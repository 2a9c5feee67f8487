"""Holiday mode: a household closes its shop from a date to a date (WITA).

Its products stay visible with "Toko libur sampai …", cannot be bought nor promised in a
gift box for delivery within those days, and the shop reopens by itself: the date alone
decides, and cached pages (keyed by the WITA day) show the change at its start and end.
"""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from marketplace.accounts.models import Role
from marketplace.db import WITA, db
from marketplace.institutions.boxes import check_quote_capacity, misfit_label
from marketplace.inventory import closures
from marketplace.inventory.capacity import (
    Closure,
    Misfit,
    Supply,
    check_fit,
    closed_for_sale,
    working_days,
)
from marketplace.inventory.models import ShopClosure
from marketplace.orders.cart import CartError
from marketplace.orders.checkout import place_order
from marketplace.orders.stock import SoldOut
from tests import factories

SUNDAY_6 = dt.date(2026, 12, 6)
HOLIDAY = Closure(dt.date(2026, 12, 10), dt.date(2026, 12, 14), "Ke pesta pernikahan di kampung")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), WITA)


# -- the rule, in the one capacity arithmetic -------------------------------------------


def test_no_promise_for_delivery_inside_the_closure():
    supply = Supply(stock=100, closures=(HOLIDAY,))
    for due in (dt.date(2026, 12, 10), dt.date(2026, 12, 12), dt.date(2026, 12, 14)):
        assert check_fit(supply, 1, SUNDAY_6, due).misfit is Misfit.CLOSED
    assert check_fit(supply, 1, SUNDAY_6, dt.date(2026, 12, 15)).fits
    assert check_fit(supply, 1, SUNDAY_6, dt.date(2026, 12, 9)).fits


def test_made_to_order_is_not_made_on_closed_days():
    # Mon 7 .. Sat 19 has 12 working days; 10-14 December (Thu-Mon; Sun 13 is no working
    # day anyway) take 4 of them.
    assert working_days(SUNDAY_6, dt.date(2026, 12, 20)) == 12
    assert working_days(SUNDAY_6, dt.date(2026, 12, 20), (HOLIDAY,)) == 8
    supply = Supply(stock=0, is_made_to_order=True, daily_capacity=10, closures=(HOLIDAY,))
    fit = check_fit(supply, 81, SUNDAY_6, dt.date(2026, 12, 20))
    assert fit.misfit is Misfit.CAPACITY and fit.available == 80


def test_a_shop_order_is_refused_while_closed_or_when_it_would_be_made_then():
    stock_goods = Supply(stock=5, closures=(HOLIDAY,))
    assert closed_for_sale(stock_goods, dt.date(2026, 12, 9)) is None
    assert closed_for_sale(stock_goods, dt.date(2026, 12, 10)) == HOLIDAY
    assert closed_for_sale(stock_goods, dt.date(2026, 12, 14)) == HOLIDAY
    assert closed_for_sale(stock_goods, dt.date(2026, 12, 15)) is None
    # Ordered on the 8th with 3 days to make it: made on the 11th, a closed day.
    cake = Supply(
        stock=0, is_made_to_order=True, daily_capacity=5, lead_time_days=3, closures=(HOLIDAY,)
    )
    assert closed_for_sale(cake, dt.date(2026, 12, 8)) == HOLIDAY
    assert closed_for_sale(cake, dt.date(2026, 12, 6)) is None  # made on the 9th


# -- what a buyer sees and can do -----------------------------------------------------


@pytest.fixture
def closed_shop(clock):
    clock.set(at(SUNDAY_6))
    seller = factories.make_seller(shop_name="Amplang Bu Ani")
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", stock=10)
    closures.close_shop(seller.id, HOLIDAY.starts_on, HOLIDAY.ends_on, HOLIDAY.message, SUNDAY_6)
    db.session.commit()
    return seller, product


def _page(client, path: str, lane: bool) -> str:
    if lane:  # the cached pages lane answers a client that takes gzip, before Flask
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        body = response.data
        return (
            gzip.decompress(body) if response.headers.get("Content-Encoding") else body
        ).decode()
    return client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("lane", [False, True])
def test_cached_pages_show_the_closing_and_the_reopening_on_their_days(
    client, closed_shop, clock, lane
):
    seller, product = closed_shop
    pages = (f"/produk/{product.slug}", f"/toko/{seller.slug}")
    for path in pages:
        html = _page(client, path, lane)
        _page(client, path, lane)  # stored, and answered from the store
        assert "Toko libur" not in html
    assert "Masukkan keranjang" in _page(client, pages[0], lane)

    clock.set(at(dt.date(2026, 12, 10), hour=0))  # midnight WITA: the first closed day
    for path in pages:
        html = _page(client, path, lane)
        assert "Toko libur sampai 14 Desember 2026" in html
        assert "Ke pesta pernikahan di kampung" in html
    assert "Masukkan keranjang" not in _page(client, pages[0], lane)

    clock.set(at(dt.date(2026, 12, 14), hour=23))
    assert "Toko libur sampai 14 Desember 2026" in _page(client, pages[0], lane)
    clock.set(at(dt.date(2026, 12, 15), hour=0))  # reopened by itself
    for path in pages:
        assert "Toko libur" not in _page(client, path, lane)
    assert "Masukkan keranjang" in _page(client, pages[0], lane)


def test_the_cart_and_checkout_refuse_with_the_reason(client, closed_shop, clock):
    _seller, product = closed_shop
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    clock.set(at(dt.date(2026, 12, 11)))

    response = client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    assert "Toko Amplang Bu Ani libur sampai 14 Desember 2026." in client.get(
        response.headers.get("Location", "/keranjang")
    ).get_data(as_text=True)
    cart = client.get("/keranjang").get_data(as_text=True)
    assert "Toko Amplang Bu Ani libur sampai 14 Desember 2026." in cart
    response = client.post("/checkout", data=vars(factories.checkout_details()))
    assert response.status_code == 409
    assert "libur sampai 14 Desember 2026" in response.get_data(as_text=True)
    with pytest.raises(CartError, match="libur sampai"):
        factories.make_order((product, 1))
    # A cart filled before the closing is refused at checkout, by the service too.
    with pytest.raises(SoldOut, match="libur sampai"):
        place_order(
            factories.checkout_details(),
            checkout_key="sebelum-libur",
            user_id=None,
            session_cart={str(product.id): [1, product.price_now]},
        )
    assert db.session.get(type(product), product.id).stock == 10

    clock.set(at(dt.date(2026, 12, 15)))
    order = factories.make_order((product, 1))
    assert order.parts[0].seller_id == product.seller_id


def test_structured_data_says_out_of_stock_while_closed(client, closed_shop, clock):
    _seller, product = closed_shop
    clock.set(at(dt.date(2026, 12, 12)))
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert '"availability": "https://schema.org/OutOfStock"' in html


def test_a_gift_box_for_delivery_inside_the_closure_does_not_fit(closed_shop, clock):
    _seller, product = closed_shop
    other = factories.make_product(stock=500)
    quote = factories.make_quote(products=[product, other], days=6)  # due 12 December
    checks = {check.line.product_id: check for check in check_quote_capacity(quote)}
    assert checks[product.id].fit.misfit is Misfit.CLOSED
    assert misfit_label(checks[product.id].fit) == "toko libur pada tanggal pengantaran"
    assert checks[other.id].fit.fits
    later = factories.make_quote(products=[product], days=10)  # due 16 December
    assert all(check.fit.fits for check in check_quote_capacity(later))


# -- the household closes and reopens -------------------------------------------------


@pytest.fixture
def household(login_as, clock):
    clock.set(at(SUNDAY_6))
    user = factories.make_user(roles=[Role.SELLER])
    seller = factories.make_seller(user=user)
    product = factories.make_product(seller=seller, name="Kue Bingka", stock=20)
    order = factories.make_paid_order((product, 2))
    login_as(user=user)
    return seller, order


def test_the_household_sees_its_open_orders_before_confirming(client, household):
    seller, order = household
    form = {"starts_on": "2026-12-10", "ends_on": "2026-12-14", "message": "Ke kampung"}
    form["idempotency_token"] = factories.form_token()  # the page's, kept to the confirming
    first = client.post("/penjual/libur", data=form)
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert order.number in html and "2 × Kue Bingka" in html
    assert "Tutup toko 10 Desember 2026 sampai 14 Desember 2026?" in html
    assert db.session.query(ShopClosure).count() == 0  # nothing closed yet

    done = client.post("/penjual/libur", data={**form, "confirm": "1"})
    assert done.status_code == 302
    [closure] = db.session.query(ShopClosure).all()
    assert (closure.seller_id, closure.starts_on, closure.ends_on, closure.message) == (
        seller.id,
        dt.date(2026, 12, 10),
        dt.date(2026, 12, 14),
        "Ke kampung",
    )
    page = client.get("/penjual/libur").get_data(as_text=True)
    assert "Toko libur 10 Desember 2026 sampai 14 Desember 2026." in page

    assert client.post("/penjual/libur/buka").status_code == 302
    db.session.refresh(closure)
    assert closure.cancelled_at is not None
    assert "Buka toko sekarang" not in client.get("/penjual/libur").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"starts_on": "2026-12-01", "ends_on": "2026-12-14"}, "sebelum hari ini"),
        ({"starts_on": "2026-12-10", "ends_on": "2026-12-09"}, "sebelum tanggal mulai"),
        ({"starts_on": "2026-12-10", "ends_on": "2027-06-01"}, "paling lama 90 hari"),
        ({"starts_on": "10/12/2026", "ends_on": ""}, "Tulis tanggal seperti"),
    ],
)
def test_impossible_dates_are_refused_and_kept(client, household, form, message):
    response = client.post("/penjual/libur", data={**form, "message": "Pesan saya", "confirm": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and "Pesan saya" in html
    assert db.session.query(ShopClosure).count() == 0
