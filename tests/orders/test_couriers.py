"""Live courier rates through Biteship (tests/biteship_server, over HTTP), the zone table
as the default and for places no courier reaches."""

from __future__ import annotations

import pytest

from marketplace.catalog import places
from marketplace.orders import shipping
from tests.biteship_server import running_biteship_server


@pytest.fixture(scope="module")
def biteship_server_module():
    with running_biteship_server() as server:
        yield server


@pytest.fixture
def biteship_server(biteship_server_module):
    biteship_server_module.reset()
    return biteship_server_module


@pytest.fixture
def biteship(app, biteship_server):
    """The app with Biteship configured (the test server), as with BITESHIP_API_KEY and
    BITESHIP_API_BASE."""
    app.config.update(
        BITESHIP_API_KEY=biteship_server.api_key, BITESHIP_API_BASE=biteship_server.url
    )
    shipping.clear_cache()
    yield biteship_server
    app.config.update(BITESHIP_API_KEY="", BITESHIP_API_BASE="")
    shipping.clear_cache()


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


def test_an_aggregator_that_is_down_leaves_the_zone_table(app, biteship):
    app.config["BITESHIP_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    with app.test_request_context():
        [quote] = shipping.quotes(
            [(shipping.household_origin("6571"), SAMARINDA, shipping.Parcel(1000))]
        )
    assert quote.rates[0].price == 35_000 and quote.note
