"""What a shared link shows before anyone opens it: preview tags, structured data, URLs.

Link-preview fetchers (WhatsApp, Facebook, Telegram, X) read the Open Graph and Twitter
tags of the HTML without running script; search engines read the schema.org JSON-LD.
Every URL here is absolute on ``SITE_URL``, never on the request's Host header: a public
page is cached and served to everyone, so it must not carry a host a visitor chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app, url_for
from flask_babel import gettext as _

from marketplace.catalog.models import Product, Seller
from marketplace.catalog.photos import SHARE_SIZE
from marketplace.reviews.models import rating_average
from marketplace.rupiah import format_rupiah
from marketplace.sellers.shares import ShareLink
from marketplace.web import LANGUAGE_PARAM

#: Open Graph spells locales with the territory
OG_LOCALES = {"id": "id_ID", "en": "en_US"}
SCHEMA = "https://schema.org/"


def site_url(path: str, **query: object) -> str:
    """``path`` on the site's public address, with ``query`` (empty values left out)."""
    base = current_app.config["SITE_URL"].rstrip("/")
    kept = {name: value for name, value in query.items() if value not in (None, "", 1)}
    return base + path + ("?" + urlencode(kept) if kept else "")


@dataclass(frozen=True)
class PageUrls:
    """A public page's canonical URL in each language, for ``link rel`` and ``og:url``."""

    by_locale: dict[str, str]
    locale: str

    @property
    def canonical(self) -> str:
        return self.by_locale[self.locale]

    @property
    def default(self) -> str:
        return self.by_locale[current_app.config["BABEL_DEFAULT_LOCALE"]]

    @property
    def og_locale(self) -> str:
        return OG_LOCALES.get(self.locale, self.locale)

    @property
    def og_alternates(self) -> list[str]:
        return [OG_LOCALES.get(code, code) for code in self.by_locale if code != self.locale]


def page_urls(path: str, locale: str, page: int = 1) -> PageUrls:
    """The page at ``path`` in each language: Indonesian without a parameter, others with one."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return PageUrls(
        by_locale={
            code: site_url(path, page=page, **{LANGUAGE_PARAM: None if code == default else code})
            for code in current_app.config["LANGUAGES"]
        },
        locale=locale,
    )


def share_image_url(photo) -> str | None:
    """The absolute address of a photo's link-preview JPEG (made at its first fetch)."""
    if photo is None:
        return None
    return site_url(url_for("catalog.share_image", key=photo.key))


def _photo_urls(product: Product) -> list[str]:
    """The share JPEG, then the largest WebP of each photo (search engines take both)."""
    urls = [share_image_url(product.cover)] if product.cover else []
    for photo in product.photos:
        urls.append(site_url(url_for("site.media", key=photo.variant_key(photo.widths[-1]))))
    return urls


def _rating(holder: Product | Seller) -> dict | None:
    average = rating_average(holder.rating_sum, holder.rating_count)
    if average is None:
        return None
    return {
        "@type": "AggregateRating",
        "ratingValue": str(average),
        "reviewCount": holder.rating_count,
        "bestRating": 5,
        "worstRating": 1,
    }


def availability(product: Product, closed: bool = False) -> str:
    """schema.org's ItemAvailability from what the public can buy now (inventory's figure;
    ``closed``: the household is away)."""
    if closed or not product.in_stock:
        return SCHEMA + "OutOfStock"
    return SCHEMA + ("MadeToOrder" if product.is_made_to_order else "InStock")


def _place(seller: Seller) -> dict:
    return {
        "@type": "PostalAddress",
        "addressLocality": f"{seller.village}, {seller.region.name}",
        "addressRegion": "Kalimantan Utara",
        "addressCountry": "ID",
    }


def product_data(product: Product, urls: PageUrls, closed: bool = False) -> dict:
    """schema.org Product with its Offer (IDR, availability) and AggregateRating."""
    seller = product.seller
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description or product.name,
        "sku": str(product.id),
        "url": urls.canonical,
        "image": _photo_urls(product),
        "category": product.category.label,
        "brand": {"@type": "Brand", "name": seller.shop_name},
        "offers": {
            "@type": "Offer",
            "url": urls.canonical,
            "price": str(product.price_now),
            "priceCurrency": "IDR",
            "availability": availability(product, closed),
            "itemCondition": SCHEMA + "NewCondition",
            "seller": {"@type": "Organization", "name": seller.shop_name},
        },
    }
    if product.prices_differ:
        # sold by option at several prices: the range, as schema.org's AggregateOffer
        prices = [option.price_now for option in product.options]
        data["offers"] |= {
            "@type": "AggregateOffer",
            "lowPrice": str(min(prices)),
            "highPrice": str(max(prices)),
            "offerCount": len(prices),
        }
        del data["offers"]["price"]
    if rating := _rating(product):
        data["aggregateRating"] = rating
    return data


def shop_data(seller: Seller, urls: PageUrls, products: list[Product]) -> dict:
    """schema.org Store: the household's shop, where it is, its rating."""
    data = {
        "@context": "https://schema.org",
        "@type": "Store",
        "name": seller.shop_name,
        "description": seller.story or seller.shop_name,
        "url": urls.canonical,
        "address": _place(seller),
    }
    covers = [share_image_url(product.cover) for product in products if product.cover]
    if covers:
        data["image"] = covers[0]
    if rating := _rating(seller):
        data["aggregateRating"] = rating
    return data


@dataclass(frozen=True)
class Preview:
    """The Open Graph and Twitter card a page shows when its link is shared."""

    kind: str
    title: str
    description: str
    image: str | None
    image_alt: str
    price_amount: int | None = None
    image_size: tuple[int, int] = SHARE_SIZE


def product_preview(product: Product) -> Preview:
    seller = product.seller
    line = _(
        "%(price)s / %(unit)s · %(shop)s, %(region)s",
        price=format_rupiah(product.price_now),
        unit=product.unit,
        shop=seller.shop_name,
        region=seller.region.name,
    )
    about = " ".join(product.description.split())
    if len(about) > 150:
        about = about[:147].rsplit(" ", 1)[0] + "…"
    return Preview(
        kind="product",
        title=product.name,
        description=f"{line}. {about}" if about else line,
        image=share_image_url(product.cover),
        image_alt=product.name,
        price_amount=product.price_now,
    )


def shop_preview(seller: Seller, products: list[Product]) -> Preview:
    cover = next((product.cover for product in products if product.cover), None)
    story = " ".join(seller.story.split())
    if len(story) > 150:
        story = story[:147].rsplit(" ", 1)[0] + "…"
    where = f"{seller.village}, {seller.region.name}"
    return Preview(
        kind="website",
        title=seller.shop_name,
        description=f"{where}. {story}" if story else where,
        image=share_image_url(cover),
        image_alt=seller.shop_name,
    )


@dataclass(frozen=True)
class SitemapPage:
    urls: PageUrls
    changed: str | None = None


def sitemap_pages(products, shops) -> list[SitemapPage]:
    """The public pages a search engine should know: the front pages, products, shops."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    pages = [
        SitemapPage(page_urls(url_for(endpoint), default))
        for endpoint in ("catalog.home", "catalog.product_list", "catalog.official_gifts")
    ]
    for slug, updated_at in products:
        path = url_for("catalog.product_detail", slug=slug)
        pages.append(SitemapPage(page_urls(path, default), updated_at.date().isoformat()))
    pages.extend(SitemapPage(page_urls(url_for("catalog.shop", slug=s), default)) for s in shops)
    return pages


def share_link(name: str, canonical: str, preview: Preview, code: str | None) -> ShareLink:
    """The share action for a page; ``code`` is the household's own reference, when the
    household is the one sharing (never on a page cached for everyone)."""
    text = f"{preview.title} · {preview.description.split('. ')[0]}"
    return ShareLink.make(name, canonical, preview.title, text, code)
