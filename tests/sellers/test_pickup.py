"""A household's pickup place (kecamatan and postal code from the region list): where live
courier rates and bookings start (tests/biteship_server over HTTP), the kabupaten/kota's
seat until it is set."""

from __future__ import annotations

import pytest

from marketplace.db import db
from marketplace.orders import shipping
from tests import factories

TARAKAN_TIMUR = "65.71.03"
BUNYU = "65.01.10"  # a kecamatan of Bulungan, not of Tarakan


@pytest.fixture
def household(client, login_as):
    seller = factories.make_seller(region_slug="tarakan")
    login_as(user=seller.user)
    return seller


def test_the_household_picks_its_kecamatan_and_postal_code(client, household):
    page = client.get("/penjual/alamat-jemput").text
    assert "Tarakan Timur" in page and "Bunyu" not in page
    assert "dari kode pos ibu kota Kota Tarakan" in page
    saved = client.post(
        "/penjual/alamat-jemput", data={"district": TARAKAN_TIMUR, "postal_code": "77123"}
    )
    assert saved.status_code == 303
    db.session.refresh(household)
    assert (household.pickup_district, household.pickup_postal_code) == (TARAKAN_TIMUR, "77123")
    page = client.get("/penjual/alamat-jemput").text
    assert "Kecamatan Tarakan Timur, kode pos 77123" in page
    # both emptied: back to the seat of Tarakan
    assert (
        client.post("/penjual/alamat-jemput", data={"district": "", "postal_code": ""}).status_code
        == 303
    )
    db.session.refresh(household)
    assert household.pickup_postal_code == ""


@pytest.mark.parametrize(
    ("district", "postal_code", "message"),
    [
        (TARAKAN_TIMUR, "77111", "Kode pos 77111 tidak dipakai di Kecamatan Tarakan Timur"),
        (TARAKAN_TIMUR, "7712", "Kode pos terdiri dari 5 angka."),
        (TARAKAN_TIMUR, "7712²", "Kode pos terdiri dari 5 angka."),
        (BUNYU, "77281", "Pilih kecamatan di Kota Tarakan dari daftar."),
        ("", "77123", "Pilih kecamatan di Kota Tarakan dari daftar."),
        ("65.71.99", "77123", "Pilih kecamatan di Kota Tarakan dari daftar."),
    ],
)
def test_a_place_not_on_the_list_is_refused_and_the_form_keeps_it(
    client, household, district, postal_code, message
):
    refused = client.post(
        "/penjual/alamat-jemput", data={"district": district, "postal_code": postal_code}
    )
    assert refused.status_code == 400
    assert message in refused.text
    assert f'value="{postal_code}"' in refused.text
    db.session.refresh(household)
    assert household.pickup_postal_code == ""


def test_the_household_s_postal_code_is_where_rates_and_booking_start(client, login_as, biteship):
    product = factories.make_product(price=60_000)
    seller = product.seller
    seller.pickup_district, seller.pickup_postal_code = TARAKAN_TIMUR, "77123"
    order = factories.make_paid_order(
        (product, 1),
        province="Kalimantan Timur",
        city="Samarinda",
        rate_choices={seller.id: "jne:reg"},
    )
    assert [str(r["origin_postal_code"]) for r in biteship.rate_requests] == ["77123"]
    [part] = order.parts
    login_as(user=seller.user)
    client.post(f"/penjual/pesanan/{part.id}", data={"action": "accept"})
    assert client.post(f"/penjual/pesanan/{part.id}/kurir").status_code == 303
    [booked] = biteship.orders.values()
    assert booked.payload["origin_postal_code"] == 77123
    assert "Tarakan Timur" in booked.payload["origin_address"]


def test_without_a_pickup_place_the_seat_s_postal_code_stands(app):
    with app.test_request_context():
        assert shipping.household_origin("6571").postal_code == "77111"
        assert shipping.household_origin("6571", "77123").postal_code == "77123"
