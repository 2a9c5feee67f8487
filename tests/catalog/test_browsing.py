"""Public browsing: what a visitor sees on the home, list, product and shop pages."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.db import db
from tests import factories


def card_names(html: str) -> list[str]:
    return [
        htmllib.unescape(n) for n in re.findall(r'<span class="card-name">([^<]+)</span>', html)
    ]


def prices(html: str) -> list[int]:
    return [int(p.replace(".", "")) for p in re.findall(r'class="price">Rp([\d.]+)<', html)]


def test_home_shows_new_products_categories_and_regions(client):
    html = client.get("/").get_data(as_text=True)
    assert len(card_names(html)) == 8
    for region in ("Bulungan", "Malinau", "Nunukan", "Tana Tidung", "Tarakan"):
        assert region in html
    assert "Madu &amp; Kopi" in html and "Anyaman Rotan" in html


def test_list_pages_through_all_forty_products(client):
    first = client.get("/produk").get_data(as_text=True)
    second = client.get("/produk?page=2").get_data(as_text=True)
    names = card_names(first) + card_names(second)
    assert len(card_names(first)) == 24 and len(names) == 40 and len(set(names)) == 40
    assert 'rel="next"' in first and 'rel="next"' not in second


@pytest.mark.parametrize("page", ["3", "99", "0", "-1", "abc", "99999999999"])
def test_pages_past_the_end_or_malformed_are_404(client, page):
    assert client.get(f"/produk?page={page}").status_code == 404


def test_filter_by_region_shows_only_its_households(client):
    html = client.get("/produk?region=nunukan").get_data(as_text=True)
    assert set(card_names(html)) == {
        "Beras Adan Krayan Putih",
        "Beras Adan Krayan Merah",
        "Beras Adan Krayan Hitam",
        "Garam Gunung Krayan",
        "Ikan Asin Sepat Sebatik",
        "Kerupuk Udang Sebatik",
        "Amplang Bandeng",
    }


def test_filter_by_category_kind_and_price(client):
    html = client.get("/produk?category=madu-kopi&min_price=80000&max_price=150.000").get_data(
        as_text=True
    )
    assert set(card_names(html)) == {
        "Madu Kelulut Asli",
        "Madu Kelulut Botol Kecil",
        "Madu Hutan Bulungan",
        "Paket Kopi & Madu Tidung",
    }
    crafts = client.get("/produk?kind=craft").get_data(as_text=True)
    assert "Tas Anyaman Rotan" in crafts and "Amplang" not in crafts


@pytest.mark.parametrize(
    ("sort", "key"),
    [("price_asc", lambda p: p), ("price_desc", lambda p: -p)],
)
def test_sort_by_price(client, sort, key):
    listed = prices(client.get(f"/produk?sort={sort}").get_data(as_text=True))
    assert listed == sorted(listed, key=key) and listed


def test_sort_by_name(client):
    names = card_names(client.get("/produk?sort=name").get_data(as_text=True))
    assert names == sorted(names)


@pytest.mark.parametrize(
    "query",
    ["region=atlantis", "category=x", "kind=x", "min_price=abc", "sort=drop table", "max_price=-5"],
)
def test_junk_filters_never_break_the_list(client, query):
    assert client.get(f"/produk?{query}").status_code == 200


def test_product_page_shows_price_story_and_food_licence(client):
    html = client.get("/produk/abon-kepiting-soka").get_data(as_text=True)
    assert "Rp95.000" in html and "toples 200 g" in html
    assert "Soka Juata" in html and "Kepiting soka dari tambak Tarakan" in html
    assert re.search(r"P-IRT No\. 1026571\d{6}-\d{2}", html)
    assert "31 Desember 20" in html  # licence end date in the Indonesian form
    assert 'width="' in html and 'height="' in html and "srcset=" in html


def test_craft_page_has_no_licence_lines(client):
    html = client.get("/produk/tas-anyaman-rotan").get_data(as_text=True)
    assert "P-IRT" not in html and "Rp450.000" in html


def test_unknown_product_is_404(client):
    assert client.get("/produk/tidak-ada-produk-ini").status_code == 404


def test_shop_page_shows_the_household_and_its_products(client):
    html = client.get("/toko/rotan-ibu-lidia").get_data(as_text=True)
    assert "Lidia Uyang" in html and "Desa Long Loreh" in html and "Dayak Kenyah" in html
    assert set(card_names(html)) == {
        "Tas Anyaman Rotan",
        "Bakul Rotan Kecil",
        "Tikar Rotan Motif Dayak",
        "Seraung Anyaman Malinau",
    }
    assert client.get("/toko/tidak-ada").status_code == 404


def test_only_published_products_are_public(client):
    draft = factories.make_product(name="Anyaman Rahasia", status=ProductStatus.DRAFT)
    db.session.commit()
    assert client.get(f"/produk/{draft.slug}").status_code == 404
    assert "Anyaman Rahasia" not in client.get("/search?q=rahasia").get_data(as_text=True)


def test_food_with_an_ended_licence_is_hidden(client):
    ended = factories.make_product(
        name="Amplang Kedaluwarsa",
        category_slug="camilan",
        licence_valid_until=dt.date(2020, 12, 31),
    )
    valid = factories.make_product(name="Amplang Berizin", category_slug="camilan")
    db.session.commit()
    assert client.get(f"/produk/{ended.slug}").status_code == 404
    assert client.get(f"/produk/{valid.slug}").status_code == 200


def test_product_cards_lazy_load_below_the_first_row(client):
    html = client.get("/produk").get_data(as_text=True)
    images = re.findall(r"<img [^>]+>", html)
    assert len(images) == 24
    assert all('loading="lazy"' not in img for img in images[:2])
    assert all('loading="lazy"' in img for img in images[2:])
    assert all('alt="' in img and 'width="' in img for img in images)


PAGES = {
    "home": lambda product: "/",
    "list": lambda product: "/produk",
    "product": lambda product: f"/produk/{product.slug}",
    "shop": lambda product: f"/toko/{product.seller.slug}",
    "search": lambda product: "/search?q=anyaman",
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_queries_per_page_do_not_grow_with_the_catalogue(client, count_queries, page):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, name="Anyaman Satu")
    factories.make_product(seller=seller, name="Anyaman Dua")
    db.session.commit()
    with count_queries() as before:
        assert client.get(PAGES[page](product)).status_code == 200
    for n in range(30):
        factories.make_product(seller=seller, name=f"Anyaman Tambahan {n}")
    db.session.commit()
    with count_queries() as after:
        assert client.get(PAGES[page](product)).status_code == 200
    assert len(after) == len(before) <= 8, after


def test_a_big_shop_pages_its_products(client):
    seller = factories.make_seller()
    for n in range(30):
        factories.make_product(seller=seller, name=f"Anyaman Halaman {n}")
    db.session.commit()
    first = client.get(f"/toko/{seller.slug}").get_data(as_text=True)
    second = client.get(f"/toko/{seller.slug}?page=2").get_data(as_text=True)
    assert len(card_names(first)) == 24 and len(card_names(second)) == 6
    assert f'href="/toko/{seller.slug}?page=2"' in first
    assert client.get(f"/toko/{seller.slug}?page=3").status_code == 404
    assert client.get(f"/toko/{seller.slug}?page=x").status_code == 404
