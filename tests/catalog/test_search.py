"""Search: Indonesian-friendly matching, and no input that breaks it."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
