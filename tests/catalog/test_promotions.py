"""A household's own promotion: a discount on one product for whole WITA days.

Shown struck through on cards and the product page, taken by the cart and checkout at
the price of that moment (the one ``Product.price_now``), frozen on the order line with
the list price and the promotion; public pages change at its first and after its last
day through the page cache, with nobody editing anything.
"""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from marketplace.accounts.models import Role
from marketplace.catalog import pricing
from marketplace.catalog.models import Product, Promotion
from marketplace.db import WITA, db
from marketplace.orders.models import OrderLine
from tests import factories

SUNDAY_6 = dt.date(2026, 12, 6)
HARI_IBU = (dt.date(2026, 12, 20), dt.date(2026, 12, 22))


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), WITA)


@pytest.fixture
def household(login_as, clock):
    clock.set(at(SUNDAY_6))
    user = factories.make_user(roles=[Role.SELLER])
    seller = factories.make_seller(user=user, shop_name="Amplang Bu Ani")
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", price=40000)
    login_as(user=user)
    return seller, product


def _promo_form(**overrides) -> dict:
    return {
        "kind": "percent",
        "value": "25",
        "starts_on": HARI_IBU[0].isoformat(),
        "ends_on": HARI_IBU[1].isoformat(),
        "idempotency_token": factories.form_token(),
        **overrides,
    }


def _page(client, path: str, lane: bool = False) -> str:
    if lane:  # the cached pages lane answers a client that takes gzip, before Flask
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        body = response.data
        return (
            gzip.decompress(body) if response.headers.get("Content-Encoding") else body
        ).decode()
    return client.get(path).get_data(as_text=True)


def test_the_household_sets_a_promotion_from_its_product_page(client, household):
    _seller, product = household
    edit = client.get(f"/penjual/produk/{product.id}").get_data(as_text=True)
    assert f"/penjual/produk/{product.id}/promo" in edit

    done = client.post(f"/penjual/produk/{product.id}/promo", data=_promo_form())
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Promo disimpan." in page
    assert "Potongan 25%" in page and "harga promo Rp30.000" in page
    assert "20 Desember 2026 sampai 22 Desember 2026" in page
    promotion = db.session.query(Promotion).one()
    # whole WITA days, stored in UTC: midnight WITA is 16:00 UTC the day before
    assert promotion.starts_at == dt.datetime(2026, 12, 19, 16, tzinfo=dt.UTC)
    assert promotion.ends_at == dt.datetime(2026, 12, 22, 16, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": "95"}, "Potongan paling besar 90%."),
        ({"kind": "amount", "value": "40000"}, "Potongan harus lebih kecil dari harga produk."),
        ({"value": ""}, "Isi besar potongan lebih dari nol."),
        ({"starts_on": "2026-12-01"}, "Tanggal mulai tidak boleh sebelum hari ini."),
        ({"ends_on": "2026-12-19"}, "Tanggal selesai tidak boleh sebelum tanggal mulai."),
        ({"ends_on": "2027-03-01"}, "Promo paling lama 62 hari."),
    ],
)
def test_a_refused_promotion_says_why_and_keeps_the_form(client, household, overrides, message):
    _seller, product = household
    response = client.post(f"/penjual/produk/{product.id}/promo", data=_promo_form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'value="{_promo_form(**overrides)["ends_on"]}"' in html
    assert db.session.query(Promotion).count() == 0


def test_another_household_cannot_touch_the_product(client, household, login_as):
    _seller, product = household
    login_as(Role.SELLER)
    factories.make_seller(user=None)
    response = client.post(f"/penjual/produk/{product.id}/promo", data=_promo_form())
    assert response.status_code in (403, 404)
    assert db.session.query(Promotion).count() == 0


@pytest.fixture
def promoted(clock):
    clock.set(at(SUNDAY_6))
    seller = factories.make_seller(shop_name="Amplang Bu Ani")
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", price=40000)
    pricing.add_promotion(product, "percent", 25, *HARI_IBU)
    db.session.commit()
    return seller, product


@pytest.mark.parametrize("lane", [False, True])
def test_cached_pages_show_the_promotion_on_its_days_only(client, promoted, clock, lane):
    seller, product = promoted
    pages = (f"/produk/{product.slug}", f"/toko/{seller.slug}", "/produk")
    for path in pages:
        html = _page(client, path, lane)
        _page(client, path, lane)  # stored, and answered from the store
        assert "Rp40.000" in html and "list-price" not in html

    clock.set(at(HARI_IBU[0], hour=0))  # midnight WITA: the first day
    for path in pages:
        html = _page(client, path, lane)
        assert '<s class="list-price" aria-label="Harga normal">Rp40.000</s> Rp30.000' in html

    clock.set(at(HARI_IBU[1], hour=23, minute=59))
    assert "Rp30.000" in _page(client, pages[0], lane)
    clock.set(at(HARI_IBU[1] + dt.timedelta(days=1), hour=0))  # over by itself
    for path in pages:
        html = _page(client, path, lane)
        assert "list-price" not in html and "Rp40.000" in html


def test_price_filters_and_sorting_read_the_promotion_price(client, promoted, clock):
    _seller, product = promoted
    factories.make_product(name="Kerupuk Uji Harga", price=35000)
    db.session.commit()
    assert "Amplang Tenggiri" not in _page(client, "/produk?max_price=32000")
    clock.set(at(HARI_IBU[0]))
    assert "Amplang Tenggiri" in _page(client, "/produk?max_price=32000")
    html = _page(client, "/produk?sort=price_asc")
    assert html.index("Amplang Tenggiri") < html.index("Kerupuk Uji Harga")
    in_sql = db.session.scalar(db.select(Product.price_now).where(Product.id == product.id))
    assert in_sql == 30000


def test_the_best_live_promotion_counts(promoted, clock):
    _seller, product = promoted
    better = pricing.add_promotion(product, "amount", 12000, HARI_IBU[1], HARI_IBU[1])
    db.session.commit()
    clock.set(at(HARI_IBU[0]))
    fresh = db.session.get(Product, product.id, populate_existing=True)
    assert fresh.price_now == 30000
    clock.set(at(HARI_IBU[1]))
    fresh = db.session.get(Product, product.id, populate_existing=True)
    assert fresh.price_now == 28000
    assert pricing.promotion_now(fresh) == better.id


def test_the_cart_sees_the_change_and_checkout_freezes_the_moment(client, promoted, clock):
    _seller, product = promoted
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "2"})
    clock.set(at(HARI_IBU[0], hour=8))
    cart = _page(client, "/keranjang")
    assert "Harga berubah dari Rp40.000 menjadi Rp30.000." in cart

    order = factories.make_order((product, 2))
    line = db.session.query(OrderLine).filter_by(part_id=order.parts[0].id).one()
    promotion = db.session.query(Promotion).one()
    assert (line.unit_price_amount, line.list_price_amount, line.promotion_id) == (
        30000,
        40000,
        promotion.id,
    )
    assert line.line_amount == 60000

    clock.set(at(HARI_IBU[1] + dt.timedelta(days=1)))
    after = factories.make_order((product, 1))
    line = after.parts[0].lines[0]
    assert (line.unit_price_amount, line.list_price_amount, line.promotion_id) == (
        40000,
        40000,
        None,
    )


def test_the_household_ends_a_promotion_early(client, household, clock):
    _seller, product = household
    client.post(f"/penjual/produk/{product.id}/promo", data=_promo_form())
    promotion = db.session.query(Promotion).one()
    clock.set(at(HARI_IBU[0]))
    assert "Rp30.000" in _page(client, f"/produk/{product.slug}")
    done = client.post(f"/penjual/produk/{product.id}/promo/{promotion.id}/akhiri")
    assert done.status_code == 302
    assert "Promo diakhiri." in _page(client, done.headers["Location"])
    assert "Rp30.000" not in _page(client, f"/produk/{product.slug}")
