"""Search finds what buyers type: typos, regional spellings, English, affixes, reduplication."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.lexicon import Group, Lexicon, max_edits, stem, understand
from marketplace.catalog.models import Product
from marketplace.catalog.services import featured_products
from marketplace.db import db
from marketplace.pkk.services import add_official_gift
from tests import factories

AMPLANG = {
    "Amplang Ikan Tenggiri",
    "Amplang Pedas Manis",
    "Amplang Kaleng Oleh-Oleh",
    "Amplang Bandeng",
}


def shown(client, query: str) -> tuple[list[str], str]:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    names = re.findall(r'<span class="card-name">([^<]+)</span>', page)
    return [htmllib.unescape(name) for name in names], page


def test_ampalng_shows_amplang_first_and_offers_the_correction(client):
    names, page = shown(client, "ampalng")
    assert set(names[:4]) == AMPLANG
    assert "Maksud Anda:" in page
    assert 'href="/search?q=amplang"' in page


def test_a_query_that_finds_as_typed_offers_no_correction(client):
    names, page = shown(client, "amplang")
    assert set(names[:4]) == AMPLANG
    assert "Maksud Anda" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("krupuk", {"Kerupuk Ikan Bandeng", "Kerupuk Udang Sebatik"}),
        ("kripik pisang", {"Keripik Pisang Kepok Manis", "Keripik Pisang Asin"}),
        ("madu klulut", {"Madu Kelulut Asli", "Madu Kelulut Botol Kecil"}),
        ("tengiri", {"Amplang Ikan Tenggiri"}),
        ("batk", {"Batik Kaltara Motif Pakis", "Kemeja Batik Pria"}),
        ("crab", {"Abon Kepiting Soka", "Kepiting Soka Goreng Tepung"}),
        ("seaweed", {"Dodol Rumput Laut Aneka Rasa", "Dodol Rumput Laut Kotak Besar"}),
        ("shrimp", {"Terasi Udang Rebon Tarakan", "Kerupuk Udang Sebatik"}),
        ("shrimp paste", {"Terasi Udang Rebon Tarakan"}),
        ("honey", {"Madu Hutan Bulungan"}),
        ("forest honey", {"Madu Hutan Bulungan"}),
        ("rattan", {"Tas Anyaman Rotan", "Bakul Rotan Kecil"}),
        ("coffee", {"Kopi Paguntaka Bubuk", "Kopi Paguntaka Biji Sangrai"}),
        ("menganyam", {"Tas Anyaman Rotan", "Seraung Anyaman Malinau"}),
        ("manik-manik", {"Kalung Manik Dayak", "Gelang Manik Dayak"}),
        ("manik2", {"Kalung Manik Dayak", "Gelang Manik Dayak"}),
        ("oleh oleh", {"Amplang Kaleng Oleh-Oleh"}),
    ],
)
def test_what_buyers_type_finds_the_product_in_the_first_five(client, query, expected):
    names, _ = shown(client, query)
    assert expected <= set(names[:5])


def test_manisan_and_manis_meet(client):
    names, _ = shown(client, "manisan")
    # What "manisan" finds as typed (the category Dodol & Manisan) comes first ...
    assert {"Lempok Durian", "Dodol Rumput Laut Aneka Rasa"} <= set(names[:3])
    # ... then the products that are "manis" (the stem).
    assert "Keripik Pisang Kepok Manis" in names


def test_what_today_finds_keeps_its_order(app, client, monkeypatch):
    for query in ("honey", "madu", "rotan", "amplang", "kopi dan madu"):
        monkeypatch.setitem(app.config, "SEARCH_TOLERANT", False)
        today, _ = shown(client, query)
        monkeypatch.setitem(app.config, "SEARCH_TOLERANT", True)
        now, _ = shown(client, query)
        assert now[: len(today)] == today, query


def test_a_word_the_catalogue_knows_is_never_corrected(client):
    # "topi" (hat) is one edit from "kopi", and the descriptions say it.
    names, page = shown(client, "kopi")
    assert "Kopi Paguntaka Bubuk" in names
    assert not [name for name in names if "Seraung" in name]
    assert "Maksud Anda" not in page


def test_an_unknown_word_beside_known_ones_is_left_out(client):
    names, _ = shown(client, "coffee and honey")
    assert names[0] == "Paket Kopi & Madu Tidung"


def test_a_query_that_matches_nothing_at_all_finds_nothing(client):
    _, page = shown(client, "xqzvw")
    assert "Belum ada produk yang cocok" in page
    assert "hasil</p>" not in page
    assert "Maksud Anda" not in page


# --- the rules, on a small lexicon -------------------------------------------------------


def lexicon(*words: str, synonyms: dict | None = None, counts: dict | None = None) -> Lexicon:
    return Lexicon(synonyms=synonyms or {}, read_counts=lambda: counts or dict.fromkeys(words, 1))


def test_edits_allowed_grow_with_the_word():
    assert [max_edits(w) for w in ("kpi", "batk", "amplang", "kelullut")] == [0, 1, 1, 2]


def test_a_swap_of_neighbours_is_one_edit():
    words = lexicon("amplang", "bandeng", "tenggiri")
    assert words.corrections("ampalng") == ("amplang",)
    assert words.corrections("bandneg") == ("bandeng",)
    # Two edits in a word of seven letters is too far; eight letters may have two.
    assert words.corrections("tngiri") == ()
    assert words.corrections("tengirri") == ("tenggiri",)


def test_a_short_word_is_never_corrected():
    assert lexicon("kopi").corrections("kop") == ()


def test_the_most_common_of_equally_near_words_comes_first():
    assert lexicon(counts={"madu": 9, "mady": 1}).corrections("maddu") == ("madu",)
    assert lexicon(counts={"batik": 5, "batuk": 1}).corrections("batk") == ("batik", "batuk")


def test_understanding_a_query():
    words = lexicon(
        "amplang",
        "kerupuk",
        "udang",
        "terasi",
        "anyaman",
        synonyms={"krupuk": ("kerupuk",), "shrimp paste": ("terasi",)},
    )
    understood = understand("Krupuk shrimp paste", words)
    assert [(g.typed, g.exact) for g in understood.groups] == [
        (("krupuk",), ("kerupuk",)),
        (("shrimp", "paste"), ("terasi",)),
    ]
    assert understood.correction is None
    assert understand("ampalng", words).groups == [Group(typed=("ampalng",))]
    typo = understand("ampalng", words, leniently=True)
    assert typo.groups[0].fuzzy == ("amplang",)
    assert typo.correction == "amplang"
    assert understand("menganyam", words).groups[0].exact == ("anyam",)


def test_the_stemmer_strips_indonesian_affixes():
    assert stem("anyaman") == stem("menganyam") == "anyam"
    assert stem("manisan") == "manis"
    assert stem("kepiting") == "kepiting"


# --- the PKK's synonym table ---------------------------------------------------------------


def test_the_pkk_adds_a_word_and_search_uses_it_at_once(client, login_as):
    assert "Belum ada produk yang cocok" in shown(client, "jajanan")[1]
    login_as("reviewer")
    page = client.get("/pkk/sinonim").get_data(as_text=True)
    assert "krupuk" in page and "kerupuk" in page
    response = client.post("/pkk/sinonim", data={"word": " Jajanan ", "means": "Camilan"})
    assert response.status_code == 302
    assert {"Amplang Bandeng", "Keripik Pisang Asin"} <= set(shown(client, "jajanan")[0])


@pytest.mark.parametrize(
    ("word", "means", "message"),
    [
        ("krupuk", "kerupuk", "Padanan ini sudah tercatat."),
        ("kopi", "Kopi", "tidak perlu dicatat"),
        ("satu dua tiga empat", "kopi", "Paling banyak tiga kata"),
        ("!!!", "kopi", "Tulis kata yang diketik pembeli."),
    ],
)
def test_a_synonym_that_cannot_be_kept_is_refused_with_what_was_typed(
    client, login_as, word, means, message
):
    login_as("reviewer")
    response = client.post("/pkk/sinonim", data={"word": word, "means": means})
    assert response.status_code == 400
    page = htmllib.unescape(response.get_data(as_text=True))
    assert message in page
    assert f'value="{word}"' in page


# --- never a dead end ----------------------------------------------------------------------


def chips(page: str) -> list[str]:
    return re.findall(r'<li><a href="/produk\?category=([a-z-]+)">', page)


def test_a_search_that_finds_nothing_offers_categories_and_the_newest(client):
    cards, page = shown(client, "xqzvw")
    assert "Belum ada produk yang cocok" in page
    assert "Mungkin ada di kategori ini" in page
    assert len(chips(page)) == 3
    # The PKK has chosen no official gifts in the demo: the newest products instead.
    assert "Baru di pasar" in page
    assert cards == [p.name for p in featured_products(limit=4)]


def test_the_nearest_categories_come_first(client):
    _, page = shown(client, "anyaman bambu xqzvw")
    assert chips(page)[0] == "anyaman"


def test_a_search_that_finds_nothing_offers_the_official_gifts(client):
    lempok = db.session.scalar(select(Product).where(Product.name == "Lempok Durian"))
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    add_official_gift(lempok.id, reviewer.id)
    db.session.commit()
    cards, page = shown(client, "xqzvw")
    assert "Oleh-oleh resmi" in page
    assert "Baru di pasar" not in page
    assert cards == ["Lempok Durian"]


# --- suggestions as you type ---------------------------------------------------------------


def test_two_letters_suggest_products_categories_and_shops(client):
    response = client.get("/search/saran?q=am")
    assert response.status_code == 200
    answer = response.get_json()
    assert {p["name"] for p in answer["products"]} <= AMPLANG | {"Kerupuk Ikan Bandeng"}
    assert answer["products"][0]["name"] in AMPLANG
    assert answer["products"][0]["url"].startswith("/produk/amplang-")
    assert answer["shops"] == [{"name": "Amplang Bu Siti", "url": "/toko/amplang-bu-siti"}]
    assert [c["url"] for c in client.get("/search/saran?q=ma").get_json()["categories"]] == [
        "/produk?category=manisan",
        "/produk?category=madu-kopi",
    ]
    assert client.get("/search/saran?q=anyam").get_json()["categories"][0]["name"] == (
        "Anyaman Rotan"
    )


def test_one_letter_suggests_nothing(client):
    answer = client.get("/search/saran?q=a").get_json()
    assert answer["products"] == answer["categories"] == answer["shops"] == []


def test_suggestions_forgive_typos_and_know_english(client):
    assert client.get("/search/saran?q=ampalng").get_json()["products"][0]["name"] in AMPLANG
    crab = {p["name"] for p in client.get("/search/saran?q=crab").get_json()["products"]}
    assert {"Abon Kepiting Soka", "Kepiting Soka Goreng Tepung"} <= crab


def test_suggestions_are_cacheable_until_the_catalogue_changes(client):
    first = client.get("/search/saran?q=madu")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = client.get("/search/saran?q=madu", headers={"If-None-Match": etag})
    assert again.status_code == 304
    factories.make_product(name="Madu Lebah Hutan Malinau")
    db.session.commit()
    changed = client.get("/search/saran?q=madu", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


@pytest.mark.parametrize("query", ["", '"', "*", "NEAR(", "%", "_", "\x00", "a" * 500, "🍯 ma"])
def test_any_text_is_a_safe_suggestion_query(client, query):
    assert client.get("/search/saran", query_string={"q": query}).status_code == 200


def test_the_search_box_offers_suggestions_and_works_without_them(client):
    page = client.get("/").get_data(as_text=True)
    assert 'data-suggest="/search/saran"' in page
    assert "search-suggest.js" in page
    # Without the script the box is a plain GET form to /search.
    assert 'action="/search"' in page and 'name="q"' in page
