"""A page of the list or of a search is kept per catalogue version
(``marketplace.catalogmemo``), for what is rendered for every signed-in visitor (page
cache off): any change of the catalogue shows on it at once, an odd query costs a
bounded amount of memory."""

from __future__ import annotations

import re

import pytest

from marketplace.catalogmemo import memo
from marketplace.db import db
from tests import factories


@pytest.fixture
def rendered(app, monkeypatch, client):
    """Pages rendered every time, as signed-in visitors get them: the memo alone keeps."""
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    return client


def card(html: str, name: str) -> str | None:
    """The card of the product named ``name`` on a page, or None."""
    for item in re.findall(r'<li class="card">.*?</li>', html, re.S):
        if f'<span class="card-name">{name}</span>' in item:
            return item
    return None


def pages(client, *urls: str) -> list[str]:
    return [client.get(url).get_data(as_text=True) for url in urls]


LIST, SEARCH = "/produk", "/search?q=zebrakul"


def test_a_second_request_reads_only_the_catalogue_version(rendered, count_queries):
    factories.make_product(name="Zebrakul Ingat")
    db.session.commit()
    first = pages(rendered, SEARCH)[0]
    with count_queries() as statements:
        again = pages(rendered, SEARCH)[0]
    assert again == first and card(again, "Zebrakul Ingat")
    assert len(statements) == 1 and "catalog_state" in statements[0]


def test_a_new_product_shows_on_the_list_and_the_search_at_once(rendered):
    factories.make_product(name="Zebrakul Lama")
    db.session.commit()
    before = pages(rendered, LIST, SEARCH)
    assert all(card(html, "Zebrakul Lama") and not card(html, "Zebrakul Baru") for html in before)
    factories.make_product(name="Zebrakul Baru")
    db.session.commit()
    assert all(card(html, "Zebrakul Baru") for html in pages(rendered, LIST, SEARCH))


def test_a_price_change_shows_at_once(rendered):
    product = factories.make_product(name="Zebrakul Harga", price=300000)
    db.session.commit()
    assert all(
        "Rp300.000" in card(html, "Zebrakul Harga") for html in pages(rendered, LIST, SEARCH)
    )
    product.price_amount = 275000
    db.session.commit()
    for html in pages(rendered, LIST, SEARCH):
        assert "Rp275.000" in card(html, "Zebrakul Harga")
        assert "Rp300.000" not in card(html, "Zebrakul Harga")


def test_stock_running_out_shows_at_once(rendered):
    product = factories.make_product(name="Zebrakul Stok", stock=1)
    db.session.commit()
    assert all(
        "Stok habis" not in card(html, "Zebrakul Stok") for html in pages(rendered, LIST, SEARCH)
    )
    product.stock = 0
    db.session.commit()
    assert all(
        "Stok habis" in card(html, "Zebrakul Stok") for html in pages(rendered, LIST, SEARCH)
    )


def test_an_unpublished_product_leaves_the_list_and_the_search_at_once(rendered):
    product = factories.make_product(name="Zebrakul Sebentar")
    db.session.commit()
    assert all(card(html, "Zebrakul Sebentar") for html in pages(rendered, LIST, SEARCH))
    product.status = "paused"
    db.session.commit()
    list_html, search_html = pages(rendered, LIST, SEARCH)
    assert card(list_html, "Zebrakul Sebentar") is None
    assert card(search_html, "Zebrakul Sebentar") is None
    assert '<meta name="robots" content="noindex">' in search_html  # nothing found


def test_each_language_gets_its_own_page_of_results(rendered):
    factories.make_product(name="Zebrakul Bahasa")
    db.session.commit()
    indonesian = pages(rendered, SEARCH)[0]
    rendered.set_cookie("lang", "en")
    english = pages(rendered, SEARCH)[0]
    assert "Saring dan urutkan" in indonesian and "Saring dan urutkan" not in english
    assert card(english, "Zebrakul Bahasa") and 'lang="en"' in english


def test_odd_queries_keep_a_bounded_number_of_pages(rendered, app, monkeypatch):
    factories.make_product(name="Zebrakul Batas")
    db.session.commit()
    pages(rendered, SEARCH)
    monkeypatch.setattr(memo(), "max_values", 12)
    for n in range(30):
        assert rendered.get(f"/search?q=zebrakul{n}x").status_code == 200
    assert len(memo()) <= 12
    assert card(pages(rendered, SEARCH)[0], "Zebrakul Batas")  # pushed out, made again


def test_a_lenient_reading_is_kept_no_longer_than_the_vocabulary(
    rendered, app, monkeypatch, count_queries
):
    """A typo's page ("Maksud Anda") is read against the vocabulary, itself read again
    every SEARCH_VOCABULARY_SECONDS: the page is kept no longer than that interval."""
    factories.make_product(name="Zebrakul Kelulut")
    db.session.commit()
    now = [1000.0]
    monkeypatch.setattr("marketplace.storefront.views.monotonic", lambda: now[0])
    first = pages(rendered, "/search?q=kelulat")[0]
    assert "Maksud Anda" in first
    with count_queries() as statements:
        pages(rendered, "/search?q=kelulat")
    assert len(statements) == 1  # kept
    now[0] += app.config["SEARCH_VOCABULARY_SECONDS"] + 1
    with count_queries() as statements:
        again = pages(rendered, "/search?q=kelulat")[0]
    assert len(statements) > 1 and again == first  # read again, same catalogue


def test_what_is_kept_holds_nothing_of_the_visitor(rendered, app, login_as):
    """Pages first rendered for a signed-in household with a cart and a search typed:
    an anonymous visitor then gets exactly what it gets when nothing was kept before."""
    factories.make_product(name="Zebrakul Tamu")
    db.session.commit()
    urls = ["/", LIST, SEARCH, "/search?q=zebrakul&page=1", "/produk?sort=name"]
    household = login_as("seller")
    signed_in = pages(rendered, *urls)
    assert all(household.name in html or "Keluar" in html for html in signed_in)
    anonymous = app.test_client()
    after_signed_in = pages(anonymous, *urls)
    memo().clear()
    app.extensions["template_fragments"].clear()
    afresh = pages(anonymous, *urls)
    assert after_signed_in == afresh
    assert all("Keluar" not in html for html in afresh)


def test_each_mount_point_gets_its_own_links(rendered):
    factories.make_product(name="Zebrakul Pasang")
    db.session.commit()
    at_root = pages(rendered, SEARCH)[0]
    mounted = rendered.get(SEARCH, base_url="http://localhost/pasar").get_data(as_text=True)
    assert 'href="/produk/produk-uji-' in card(at_root, "Zebrakul Pasang")
    assert 'href="/pasar/produk/produk-uji-' in card(mounted, "Zebrakul Pasang")
    assert 'action="/pasar/search"' in mounted and 'action="/search"' in at_root


def test_the_home_page_at_each_mount_point_links_within_it(rendered):
    at_root = pages(rendered, "/")[0]
    mounted = rendered.get("/", base_url="http://localhost/pasar").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)"', mounted[mounted.index('<main id="main"') :])
    assert links and all(link.startswith("/pasar/") for link in links)
    assert '<a href="/produk?category=' in at_root
