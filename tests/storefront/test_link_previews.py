"""What WhatsApp, Facebook, Telegram and search engines read of a shared product or shop.

A link-preview fetcher runs no script: the page is read here with a plain HTML parser, the
way those fetchers read it, and the JSON-LD is extracted with extruct and checked against
the schema.org types it claims (``SCHEMA_TYPES``: each type's required and allowed
properties, and the enumerations' members, as schema.org defines them).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urlsplit

import extruct
import pytest
from flask import current_app
from PIL import Image

from marketplace.catalog.models import ProductPhoto
from marketplace.catalog.photos import process_photo
from marketplace.db import db
from marketplace.storage import get_storage
from tests import factories

SITE = "http://127.0.0.1:5000"
SCHEMA = "https://schema.org/"

#: type -> (required properties, allowed properties); schema.org's own definitions, and the
#: properties a Product or Offer needs to be understood as one (name; an offer, review or
#: rating; an offer's price, currency and availability).
SCHEMA_TYPES = {
    "Product": (
        {"name", "offers"},
        {
            "@context",
            "@type",
            "name",
            "description",
            "sku",
            "url",
            "image",
            "category",
            "brand",
            "offers",
            "aggregateRating",
        },
    ),
    "Offer": (
        {"price", "priceCurrency", "availability"},
        {"@type", "url", "price", "priceCurrency", "availability", "itemCondition", "seller"},
    ),
    # an Offer of a product sold by option at several prices (schema.org: a subtype of Offer)
    "AggregateOffer": (
        {"lowPrice", "highPrice", "priceCurrency", "availability"},
        {
            "@type",
            "url",
            "lowPrice",
            "highPrice",
            "offerCount",
            "priceCurrency",
            "availability",
            "itemCondition",
            "seller",
        },
    ),
    "AggregateRating": (
        {"ratingValue", "reviewCount"},
        {"@type", "ratingValue", "reviewCount", "bestRating", "worstRating"},
    ),
    "Brand": ({"name"}, {"@type", "name"}),
    "Organization": ({"name"}, {"@type", "name"}),
    "Store": (
        {"name", "address"},
        {"@context", "@type", "name", "description", "url", "address", "image", "aggregateRating"},
    ),
    "PostalAddress": (
        {"addressCountry"},
        {"@type", "addressLocality", "addressRegion", "addressCountry"},
    ),
}
ITEM_AVAILABILITY = {
    SCHEMA + name
    for name in (
        "InStock",
        "OutOfStock",
        "MadeToOrder",
        "PreOrder",
        "BackOrder",
        "SoldOut",
        "Discontinued",
        "LimitedAvailability",
        "OnlineOnly",
        "InStoreOnly",
        "PreSale",
        "Reserved",
    )
}
OFFER_ITEM_CONDITION = {SCHEMA + n for n in ("NewCondition", "UsedCondition", "DamagedCondition")}


def check_schema(node: dict) -> None:
    """Every object's type is known, has what it requires and nothing it does not allow."""
    kind = node["@type"]
    assert kind in SCHEMA_TYPES, kind
    required, allowed = SCHEMA_TYPES[kind]
    assert required <= node.keys(), (kind, required - node.keys())
    assert node.keys() <= allowed, (kind, node.keys() - allowed)
    for value in node.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                check_schema(item)
    if kind == "Offer":
        assert node["availability"] in ITEM_AVAILABILITY
        assert node.get("itemCondition", SCHEMA + "NewCondition") in OFFER_ITEM_CONDITION
        assert node["price"].isascii() and node["price"].isdigit()  # a plain number
    if kind == "AggregateOffer":
        assert node["availability"] in ITEM_AVAILABILITY
        for price in (node["lowPrice"], node["highPrice"]):
            assert price.isascii() and price.isdigit()
    if kind == "AggregateRating":
        assert 1 <= float(node["ratingValue"]) <= 5 and node["reviewCount"] >= 1


class PreviewReader(HTMLParser):
    """What a link-preview fetcher takes from a page: meta tags, link tags, data blocks."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (name := attrs.get("property") or attrs.get("name")):
            self.meta.setdefault(name, []).append(attrs.get("content", ""))
        elif tag == "link":
            self.links.append(attrs)
        self._in_title = tag == "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        self._in_title = False

    def one(self, name: str) -> str:
        assert len(self.meta.get(name, [])) == 1, (name, self.meta.get(name))
        return self.meta[name][0]

    def link(self, rel: str, **attrs) -> list[str]:
        return [
            link["href"]
            for link in self.links
            if rel in link.get("rel", "").split()
            and all(link.get(k) == v for k, v in attrs.items())
        ]


def read(html: str) -> PreviewReader:
    reader = PreviewReader()
    reader.feed(html)
    return reader


def json_ld(html: str, url: str) -> list[dict]:
    return extruct.extract(html, base_url=url, syntaxes=["json-ld"])["json-ld"]


@pytest.fixture
def shared_product(app):
    """A public food product with a real photo (a 2000 x 1500 phone shot) and a review."""
    stored = process_photo(
        factories.photo_bytes(2000, 1500, colour=(200, 90, 40)),
        get_storage(),
        current_app.config["PHOTO_WIDTHS"],
    )
    seller = factories.make_seller(shop_name="Amplang Bu Ani")
    product = factories.make_product(
        seller=seller,
        name="Amplang Ikan Tenggiri",
        price=35_000,
        category_slug="camilan",
        stock=12,
        description="Amplang renyah dari ikan tenggiri segar Tarakan. " * 6,
    )
    product.photos[0] = ProductPhoto(
        key=stored.key,
        width=stored.width,
        height=stored.height,
        variant_widths=",".join(map(str, stored.widths)),
    )
    db.session.flush()
    factories.make_review(product, rating=4)
    db.session.refresh(product)
    return product


def _fetch(client, url: str) -> tuple[str, bytes]:
    """A file's type and bytes, as a fetcher gets them (the file is closed after)."""
    assert url.startswith(SITE + "/")
    with client.get(urlsplit(url).path) as response:
        assert response.status_code == 200
        return response.mimetype, response.get_data()


def _fetch_image(client, url: str) -> Image.Image:
    mimetype, data = _fetch(client, url)
    assert mimetype == "image/jpeg"
    # WhatsApp shows no picture over 300 KB.
    assert len(data) <= 300 * 1024
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_shared_product_link_previews_name_price_and_a_large_jpeg(client, shared_product):
    product = shared_product
    page = f"/produk/{product.slug}"
    tags = read(client.get(page + "?utm_source=wa").get_data(as_text=True))
    canonical = SITE + page

    assert tags.link("canonical") == [canonical]
    assert tags.one("og:url") == canonical
    assert tags.one("og:type") == "product"
    assert tags.one("og:title") == "Amplang Ikan Tenggiri"
    assert tags.one("twitter:title") == "Amplang Ikan Tenggiri"
    description = tags.one("og:description")
    assert description.startswith("Rp35.000 / buah · Amplang Bu Ani, Tarakan. Amplang renyah")
    assert len(description) <= 250 and tags.one("twitter:description") == description
    assert tags.one("product:price:amount") == "35000"
    assert tags.one("product:price:currency") == "IDR"
    assert tags.one("og:locale") == "id_ID" and tags.one("og:locale:alternate") == "en_US"

    assert tags.one("twitter:card") == "summary_large_image"
    image_url = tags.one("og:image")
    assert tags.one("twitter:image") == image_url
    assert tags.one("og:image:type") == "image/jpeg"
    assert (tags.one("og:image:width"), tags.one("og:image:height")) == ("1200", "630")
    picture = _fetch_image(client, image_url)
    assert picture.format == "JPEG" and picture.size == (1200, 630)
    assert picture.getpixel((600, 315)) == pytest.approx((200, 90, 40), abs=6)
    # Made once: the second fetch is the same file.
    assert _fetch(client, image_url) == _fetch(client, image_url)


def test_each_language_version_names_the_other(client, shared_product):
    page = f"/produk/{shared_product.slug}"
    for path, locale, canonical in (
        (page, "id_ID", SITE + page),
        (page + "?hl=en", "en_US", SITE + page + "?hl=en"),
    ):
        html = client.get(path).get_data(as_text=True)
        tags = read(html)
        assert tags.link("canonical") == [canonical]
        assert tags.link("alternate", hreflang="id") == [SITE + page]
        assert tags.link("alternate", hreflang="en") == [SITE + page + "?hl=en"]
        assert tags.link("alternate", hreflang="x-default") == [SITE + page]
        assert tags.one("og:locale") == locale
    assert '<html lang="en">' in client.get(page + "?hl=en").get_data(as_text=True)
    assert "Add to cart" in client.get(page + "?hl=en").get_data(as_text=True)
    assert "Masukkan keranjang" in client.get(page).get_data(as_text=True)


def test_product_structured_data_is_a_schema_org_product_with_offer_and_rating(
    client, shared_product
):
    product = shared_product
    page = f"/produk/{product.slug}"
    [data] = json_ld(client.get(page).get_data(as_text=True), SITE + page)
    check_schema(data)
    assert data["@type"] == "Product" and data["name"] == "Amplang Ikan Tenggiri"
    assert data["offers"]["price"] == "35000" and data["offers"]["priceCurrency"] == "IDR"
    assert data["offers"]["availability"] == SCHEMA + "InStock"
    assert data["aggregateRating"]["ratingValue"] == "4.0"
    assert data["aggregateRating"]["reviewCount"] == 1
    assert data["brand"]["name"] == "Amplang Bu Ani"
    _fetch_image(client, data["image"][0])

    # Availability is the stock the public can buy, read again when it changes.
    product.stock = 0
    db.session.flush()
    [data] = json_ld(client.get(page).get_data(as_text=True), SITE + page)
    assert data["offers"]["availability"] == SCHEMA + "OutOfStock"


def test_shop_page_previews_and_describes_the_household(client, shared_product):
    seller = shared_product.seller
    page = f"/toko/{seller.slug}"
    html = client.get(page).get_data(as_text=True)
    tags = read(html)
    assert tags.link("canonical") == [SITE + page]
    assert tags.one("og:title") == "Amplang Bu Ani"
    assert tags.one("og:type") == "website"
    assert tags.one("og:description").startswith("Kelurahan Uji, Tarakan.")
    _fetch_image(client, tags.one("og:image"))
    [data] = json_ld(html, SITE + page)
    check_schema(data)
    assert data["@type"] == "Store" and data["aggregateRating"]["reviewCount"] == 1
    assert data["address"]["addressCountry"] == "ID"


def test_structured_data_cannot_be_broken_out_of(client):
    product = factories.make_product(name="Kue </script><script>alert(1)</script>")
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    [data] = json_ld(html, SITE)
    assert data["name"] == "Kue </script><script>alert(1)</script>"


def test_sitemap_lists_public_products_and_shops_with_their_english_twins(client, shared_product):
    hidden = factories.make_product(status=factories.ProductStatus.DRAFT)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ET.fromstring(response.data)  # noqa: S314 (our own answer, not untrusted)
    urls = {u.find("s:loc", ns).text: u for u in root.findall("s:url", ns)}
    product_url = f"{SITE}/produk/{shared_product.slug}"
    assert product_url in urls and f"{SITE}/toko/{shared_product.seller.slug}" in urls
    assert f"{SITE}/produk/{hidden.slug}" not in urls
    alternates = {
        link.get("hreflang"): link.get("href") for link in urls[product_url].findall("x:link", ns)
    }
    assert alternates == {"id": product_url, "en": product_url + "?hl=en", "x-default": product_url}
    assert len(urls) > 40  # the demo catalogue's products are there too


def test_robots_keeps_crawlers_out_of_carts_and_private_links_only(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {SITE}/sitemap.xml" in text
    disallowed = {
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Disallow:")
    }
    assert disallowed == {"/akun/", "/keranjang", "/checkout", "/pesanan/"}


def test_pages_behind_sign_in_show_a_crawler_only_the_sign_in_page(client):
    """What robots.txt no longer lists stays private by sign-in, not by asking crawlers."""
    private = ("/penjual/produk/baru", "/penjual", "/pkk/tinjauan", "/instansi/", "/admin/pesanan")
    for path in private:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/akun/masuk" in response.headers["Location"], path


def test_a_search_with_results_may_be_indexed_an_empty_one_not(client, shared_product):
    noindex = '<meta name="robots" content="noindex">'
    found = client.get("/search", query_string={"q": shared_product.name}).get_data(as_text=True)
    assert shared_product.name in found and noindex not in found
    empty = client.get("/search", query_string={"q": "zzqxv"}).get_data(as_text=True)
    assert noindex in empty
    assert noindex in client.get("/search").get_data(as_text=True)


def test_choosing_a_language_on_a_language_version_follows_the_choice(client, shared_product):
    page = f"/produk/{shared_product.slug}"
    response = client.post("/bahasa", data={"locale": "id", "next": page + "?hl=en&page=2"})
    assert response.status_code == 302 and response.headers["Location"] == page + "?page=2"


def test_a_photo_whose_files_are_gone_has_no_preview_and_no_error(client):
    product = factories.make_product(photo_key="e" * 64)  # a row, no stored files
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    image = read(html).one("og:image")
    assert client.get(urlsplit(image).path).status_code == 404


def test_a_product_sold_by_option_offers_its_price_range(client, shared_product):
    product = shared_product
    factories.make_options(product, ("Original", 35000, 2), ("Pedas", 42000, 0))
    page = f"/produk/{product.slug}"
    [data] = json_ld(client.get(page).get_data(as_text=True), SITE + page)
    check_schema(data)
    offer = data["offers"]
    assert offer["@type"] == "AggregateOffer"
    assert (offer["lowPrice"], offer["highPrice"], offer["offerCount"]) == ("35000", "42000", 2)
    assert offer["availability"] == SCHEMA + "InStock"
