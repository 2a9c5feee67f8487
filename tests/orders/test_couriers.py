"""Live courier rates through Biteship (tests/biteship_server, over HTTP), the zone table
as the default and for places no courier reaches."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.catalog import places
from marketplace.db import db
from marketplace.orders import shipping
from marketplace.orders.models import Order
from tests import factories


def _to(city: str, postal_code: str) -> shipping.Place:
    return shipping.Place(postal_code, places.province_of(city), city)


SAMARINDA = _to("64.72", "75111")
KRAYAN = _to("65.03", "77456")


def test_without_a_key_the_zone_table_prices_the_parcel(app):
    with app.test_request_context():
        [quote] = shipping.quotes(
            [(shipping.household_origin("6571"), SAMARINDA, shipping.Parcel(1500))]
        )
    assert quote.rates == [quote.zone_rate]
    assert quote.rates[0].price == 35_000 + 20_000  # Kalimantan: first kilogram, one more
    assert not quote.live and not quote.note


def test_three_households_get_live_rates_each_and_identical_requests_are_cached(app, biteship):
    requests = [
        (shipping.household_origin(code), SAMARINDA, shipping.Parcel(weight))
        for code, weight in (("6571", 800), ("6501", 1500), ("6503", 2500))
    ]
    with app.test_request_context():
        quotes = shipping.quotes(requests)
        again = shipping.quotes(requests)
    assert [q.live for q in quotes] == [True, True, True]
    cheapest = [min(rate.price for rate in q.rates) for q in quotes]
    # POS Kilat: Rp21.000 the first kilogram, Rp10.000 each further one started
    assert cheapest == [21_000, 31_000, 41_000]
    jne = quotes[0].rate("jne:yes")
    assert (jne.courier, jne.service, jne.price, jne.etd_days) == ("JNE", "YES", 41_000, 1)
    origins = sorted(str(r["origin_postal_code"]) for r in biteship.rate_requests)
    assert origins == ["77111", "77212", "77482"]  # once each: the second page was cached
    assert [q.rates for q in again] == [q.rates for q in quotes]


def test_a_place_no_courier_reaches_gets_the_zone_price_and_a_note(app, biteship):
    biteship.unreachable = {"77456"}
    with app.test_request_context():
        [quote] = shipping.quotes(
            [(shipping.household_origin("6571"), KRAYAN, shipping.Parcel(1000))]
        )
    assert not quote.live
    assert quote.rates[0].price == 20_000  # Kaltara zone, one kilogram
    assert "pesawat atau kapal" in quote.note


def test_an_aggregator_that_is_down_leaves_the_zone_table_for_a_while(app, biteship):
    request = (shipping.household_origin("6571"), SAMARINDA, shipping.Parcel(1000))
    app.config["BITESHIP_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    with app.test_request_context():
        [quote] = shipping.quotes([request])
    assert quote.rates[0].price == 35_000
    assert "tidak bisa diambil" in quote.note and "kapal" not in quote.note
    # back up, but the next pages within the pause are not kept waiting on it
    app.config["BITESHIP_API_BASE"] = biteship.url
    with app.test_request_context():
        [quote] = shipping.quotes([request])
    assert quote.rates[0].price == 35_000 and biteship.rate_requests == []


# --- the checkout, over HTTP ------------------------------------------------------------------


def _summary(html: str) -> str:
    return re.search(r'name="summary" type="hidden" value="([^"]*)"', html)[1]


@pytest.fixture
def three_households(client):
    """A cart with one product (250 g) from a household in Tarakan, Bulungan and Nunukan."""
    products = [
        factories.make_product(seller=factories.make_seller(region_slug=slug), price=50_000)
        for slug in ("tarakan", "bulungan", "nunukan")
    ]
    db.session.commit()
    for product in products:
        client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    return [product.seller for product in products]


def _to_samarinda(**extra) -> dict:
    details = vars(
        factories.checkout_details(province="Kalimantan Timur", city="Samarinda", **extra)
    )
    return {key: value for key, value in details.items() if key != "rate_choices"}


def test_the_buyer_picks_a_courier_per_household_and_that_price_is_charged(
    client, biteship, three_households
):
    tarakan, bulungan, nunukan = three_households
    data = _to_samarinda()
    page = client.post("/checkout", data={**data, "action": "recalculate"})
    html = page.get_data(as_text=True)
    assert html.count('name="rate-') == 3 * 5  # five courier services for each household
    assert "JNE YES: Rp41.000, tiba dalam 1 hari" in html
    # the cheapest is chosen until the buyer picks another
    assert re.search(rf'name="rate-{tarakan.id}"[^>]*value="pos:kilat" checked', html)

    chosen = {f"rate-{tarakan.id}": "jne:yes", f"rate-{nunukan.id}": "sicepat:reg"}
    page = client.post("/checkout", data={**data, **chosen, "action": "recalculate"})
    html = page.get_data(as_text=True)
    summary = _summary(html)
    assert f"s{tarakan.id}=41000" in summary and f"s{nunukan.id}=22000" in summary
    placed = client.post("/checkout", data={**data, **chosen, "summary": summary})
    assert placed.status_code == 303
    order = db.session.scalar(select(Order))
    parts = {part.seller_id: part for part in order.parts}
    assert (parts[tarakan.id].shipping_amount, parts[tarakan.id].courier) == (41_000, "JNE YES")
    assert parts[tarakan.id].courier_service == "jne:yes"
    assert parts[bulungan.id].shipping_amount == 21_000  # POS Kilat, the cheapest
    assert parts[nunukan.id].courier_service == "sicepat:reg"
    assert order.shipping_amount == 41_000 + 21_000 + 22_000
    assert order.total_amount == 150_000 + order.shipping_amount


def test_a_rate_changed_since_the_summary_is_named_before_anything_is_charged(
    client, biteship, three_households
):
    tarakan = three_households[0]
    data = _to_samarinda()
    summary = _summary(client.post("/checkout", data={**data, "action": "recalculate"}).text)
    # the buyer picks JNE YES but sends the summary that showed POS Kilat
    changed = client.post(
        "/checkout", data={**data, f"rate-{tarakan.id}": "jne:yes", "summary": summary}
    )
    assert changed.status_code == 409
    assert "Rp41.000" in changed.text
    assert db.session.scalar(select(Order)) is None


def test_krayan_gets_the_zone_price_and_a_note(client, biteship, three_households):
    biteship.unreachable = {"77456"}
    data = vars(factories.checkout_details(city="Nunukan", district="Krayan", postal_code="77456"))
    data = {key: value for key, value in data.items() if key != "rate_choices"}
    html = client.post("/checkout", data={**data, "action": "recalculate"}).text
    assert html.count("hanya lewat pesawat atau kapal") == 3
    assert 'name="rate-' not in html
    placed = client.post("/checkout", data={**data, "summary": _summary(html)})
    assert placed.status_code == 303
    order = db.session.scalar(select(Order))
    # the zone table: Kaltara Rp20.000 for the first kilogram; same kabupaten Rp10.000
    assert sorted(part.shipping_amount for part in order.parts) == [10_000, 20_000, 20_000]
    assert {part.courier_service for part in order.parts} == {""}


def test_the_live_figures_follow_the_courier_chosen(client, biteship, three_households):
    """What the checkout's script asks when a courier is picked: the same cart functions."""
    tarakan = three_households[0]
    data = _to_samarinda()
    query = {key: data[key] for key in ("province", "city", "postal_code")}
    query.update({"delivery": "ship", f"rate-{tarakan.id}": "jne:yes"})
    figures = client.get("/checkout/ongkir", query_string=query).get_json()
    shown = {group["seller"]: group["shipping"] for group in figures["groups"]}
    assert shown[tarakan.id] == "Rp41.000"
    assert f"s{tarakan.id}=41000" in figures["summary"]
