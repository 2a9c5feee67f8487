"""Search: Indonesian-friendly matching, and no input that breaks it."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.catalog.models import ProductStatus
from marketplace.catalog.search import build_search_text, search_terms
from marketplace.db import db
from tests import factories


def found(client, query: str) -> set[str]:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    names = re.findall(r'<span class="card-name">([^<]+)</span>', response.get_data(as_text=True))
    return {htmllib.unescape(name) for name in names}


def test_amplang_finds_every_amplang_first(client):
    response = client.get("/search?q=amplang").get_data(as_text=True)
    names = [
        htmllib.unescape(n) for n in re.findall(r'<span class="card-name">([^<]+)</span>', response)
    ]
    amplang = {
        "Amplang Ikan Tenggiri",
        "Amplang Pedas Manis",
        "Amplang Kaleng Oleh-Oleh",
        "Amplang Bandeng",
    }
    # The crackers of the shop "Amplang Bu Siti" match by shop name, ranked after.
    assert set(names) == amplang | {"Kerupuk Ikan Bandeng"}
    assert set(names[:4]) == amplang


def test_madu_finds_the_honey(client):
    assert {
        "Madu Kelulut Asli",
        "Madu Kelulut Botol Kecil",
        "Madu Hutan Bulungan",
        "Paket Kopi & Madu Tidung",
    } <= found(client, "madu")


def test_rotan_finds_rattan_by_description_and_category(client):
    result = found(client, "rotan")
    assert {"Tas Anyaman Rotan", "Bakul Rotan Kecil", "Tikar Rotan Motif Dayak"} <= result
    assert "Amplang Ikan Tenggiri" not in result


@pytest.mark.parametrize("query", ["AMPLANG", "Amplang", "ampl", "  amplang  ", "ámplàng"])
def test_case_accents_and_prefixes_match(client, query):
    assert "Amplang Ikan Tenggiri" in found(client, query)


def test_every_word_must_match(client):
    assert found(client, "kelulut kecil") == {"Madu Kelulut Botol Kecil"}


def test_search_reaches_shop_and_region_names(client):
    assert "Kopi Paguntaka Bubuk" in found(client, "tana tidung")
    assert "Abon Kepiting Soka" in found(client, "soka juata")


def test_a_new_product_is_found_at_once(client):
    factories.make_product(name="Lampit Rotan Istimewa", description="Anyaman lampit")
    db.session.commit()
    assert "Lampit Rotan Istimewa" in found(client, "lampit")


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        '"',
        "*",
        "OR",
        "NEAR(",
        "amplang OR madu",
        '"amplang',
        "a" * 500,
        "'; DROP TABLE products; --",
        "amplang*",
        "^",
        "-",
        "()",
        "\\",
        "%",
        "_",
        "madu AND NOT",
        "\x00",
        "🍯 madu",
    ],
)
def test_odd_queries_get_results_or_an_empty_list(client, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_search_terms_are_plain_words():
    assert search_terms('"Amplang" OR NEAR(madu*') == ["amplang", "or", "near", "madu"]
    assert search_terms("Dódol  rumput-laut") == ["dodol", "rumput", "laut"]
    assert build_search_text("Kepiting Soká", None, "Tarakan") == "kepiting soka tarakan"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=80))
def test_any_text_is_a_safe_query(client, query):
    assert client.get("/search", query_string={"q": query}).status_code == 200


def card_names(response) -> list[str]:
    names = re.findall(r'<span class="card-name">([^<]+)</span>', response.get_data(as_text=True))
    return [htmllib.unescape(name) for name in names]


def test_a_search_says_how_many_it_found(client):
    page = client.get("/search?q=amplang").get_data(as_text=True)
    assert "5 hasil" in page
    assert "Lebih dari" not in page
    assert "1 hasil" in client.get("/search?q=kelulut+kecil").get_data(as_text=True)


def test_a_name_match_ranks_above_a_mention(client):
    named = factories.make_product(name="Tikar Lempeng Pandan", description="Tikar anyaman halus.")
    # Newer, and says the word three times: the text rank alone would put it first.
    mentioned = factories.make_product(
        name="Keranjang Pandan", description="Lempeng, lempeng, lempeng: serasi dengan tikar."
    )
    db.session.commit()
    assert card_names(client.get("/search?q=lempeng")) == [named.name, mentioned.name]
    assert card_names(client.get("/search?q=pandan+lemp")) == [named.name, mentioned.name]


def test_beyond_its_bound_a_search_says_more_than(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_MAX_RESULTS", 3)
    monkeypatch.setitem(app.config, "PRODUCTS_PER_PAGE", 2)
    for n in range(5):
        factories.make_product(name=f"Kancing Sisik Ikan {n}")
    db.session.commit()

    first = client.get("/search?q=kancing")
    text = first.get_data(as_text=True)
    assert "Lebih dari 3 hasil" in text
    assert len(card_names(first)) == 2
    assert 'rel="next"' in text

    # Paging stops at the bound: the second page holds the third product, no more.
    second = client.get("/search?q=kancing&page=2")
    assert len(card_names(second)) == 1
    assert 'rel="next"' not in second.get_data(as_text=True)
    assert client.get("/search?q=kancing&page=3").status_code == 404
    shown = card_names(first) + card_names(second)
    assert len(set(shown)) == 3

    # Sorted by price the bound holds too, and every product is still a match.
    by_price = client.get("/search?q=kancing&sort=price_asc")
    assert "Lebih dari 3 hasil" in by_price.get_data(as_text=True)
    assert all(name.startswith("Kancing Sisik") for name in card_names(by_price))

    client.post("/bahasa", data={"locale": "en"})
    english = client.get("/search?q=kancing").get_data(as_text=True)
    client.post("/bahasa", data={"locale": "id"})
    assert "More than 3 results" in english


def test_exactly_the_bound_is_not_more_than(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_MAX_RESULTS", 3)
    for n in range(3):
        factories.make_product(name=f"Sisik Tenggiri Hias {n}")
    db.session.commit()
    page = client.get("/search?q=tenggiri+hias").get_data(as_text=True)
    assert "3 hasil" in page
    assert "Lebih dari" not in page


def test_hidden_products_do_not_use_up_the_bound(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_MAX_RESULTS", 2)
    for n in range(3):
        factories.make_product(name=f"Lempeng Sagu Draf {n}", status=ProductStatus.DRAFT)
    public = factories.make_product(name="Lempeng Sagu Asli")
    db.session.commit()
    response = client.get("/search?q=lempeng+sagu")
    assert card_names(response) == [public.name]
    assert "1 hasil" in response.get_data(as_text=True)
