"""What the storefront keeps per catalogue version (regions, categories, the newest
products, the official gifts) is never older than the catalogue, in either language."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.catalog.models import Category, Region
from marketplace.db import db
from tests import factories


def chips(html: str) -> dict[str, str]:
    """The home page's chips: label -> link."""
    found = re.findall(r'<li><a href="([^"]+)">([^<]+) <span class="count">', html)
    return {label: href for href, label in found}


def test_a_new_product_shows_on_the_home_page_at_once(client):
    client.get("/")  # what the home page shows is now kept
    seller = factories.make_seller()
    factories.make_product(seller=seller, name="Amplang Baru Sekali")
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert '<span class="card-name">Amplang Baru Sekali</span>' in html


def test_renamed_regions_and_categories_show_everywhere_at_once(client):
    before = chips(client.get("/").get_data(as_text=True))
    client.get("/produk")
    assert "Madu &amp; Kopi" in before
    category = db.session.scalar(select(Category).where(Category.name == "Madu & Kopi"))
    region = db.session.scalar(select(Region).where(Region.slug == "tarakan"))
    category.name = "Madu Hutan & Kopi"
    region.name = "Kota Tarakan"
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    listing = client.get("/produk").get_data(as_text=True)
    assert "Madu Hutan &amp; Kopi" in chips(home) and "Kota Tarakan" in chips(home)
    assert f'<a href="/produk?category={category.slug}">Madu Hutan &amp; Kopi' in home
    assert f'<a href="/produk?region={region.slug}">Kota Tarakan' in home
    assert ">Madu Hutan &amp; Kopi</option>" in listing and ">Kota Tarakan</option>" in listing


def test_kept_categories_are_named_in_the_visitor_language(client):
    category = db.session.scalar(select(Category).where(Category.name == "Madu & Kopi"))
    indonesian = client.get("/produk").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get("/produk").get_data(as_text=True)
    assert f">{category.name.replace('&', '&amp;')}</option>" in indonesian
    assert f">{category.name_en.replace('&', '&amp;')}</option>" in english


def test_the_memo_keeps_a_bounded_number_of_values_the_least_recent_going_first():
    from marketplace.catalogmemo import CatalogueMemo

    memo = CatalogueMemo(max_values=3)
    key = (7, None)
    computed: list[str] = []

    def value(name):
        return lambda: computed.append(name) or name.upper()

    for name in ("a", "b", "c"):
        memo.get(key, name, value(name))
    assert memo.get(key, "a", value("a")) == "A"  # kept: "a" is now the most recent
    memo.get(key, "d", value("d"))  # one too many: "b", the least recent, goes
    assert len(memo) == 3
    memo.get(key, "b", value("b"))
    assert computed == ["a", "b", "c", "d", "b"]
    memo.get((8, None), "a", value("a"))  # a new catalogue version starts afresh
    assert len(memo) == 1 and computed[-1] == "a"


def test_a_request_reads_the_version_once_and_anew_after_its_own_change(app):
    from marketplace.catalogversion import bump_catalog_version, request_catalog_version

    with app.test_request_context("/"):
        first = request_catalog_version()
        assert request_catalog_version() == first  # kept for the request
        bump_catalog_version()
        db.session.commit()  # this request moved the version: what follows reads it anew
        assert request_catalog_version() == first + 1
