"""The product page, rendered once per catalogue version, day, product and language.

Everything the page shows is the same for every visitor: the product, its shop, region,
category, photos and options with their stock, the licence, the shop's closure today, the
rating and the visible reviews, "more from this household", the link-preview tags and the
JSON-LD. Each is a row whose change moves the catalogue version in the change's own
transaction (``catalogversion.watch``, ``bump_catalog_version``: a checkout taking stock,
a review written, answered, hidden or its author's account closed, a closure set), or
changes only at midnight WITA (a licence's last day, a promotion, a quote's hold): the
memo's key (``marketplace.catalogmemo``) holds both. So the page's parts are rendered once and
kept as finished HTML (``ProductPage``, plain strings: nothing of the database session
outlives the request that built it), and a visit costs one memo lookup.

What is a visitor's own stays per request, outside the kept parts: the household's own
share link (its reference code, ``share``), and the signed-in header and footer of
``base.html``. A reviewer's "hide this review" links make a kept variant of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from jinja2 import StrictUndefined
from jinja2.utils import concat
from markupsafe import Markup

from marketplace.catalog import services
from marketplace.catalogmemo import kept, locale_key
from marketplace.db import today_local
from marketplace.inventory import stock
from marketplace.reviews.services import visible_reviews
from marketplace.storefront import sharing
from marketplace.storefront.cards import card_photo, media_url_maker

PARTS_TEMPLATE = "catalog/_product_parts.html"


@dataclass(frozen=True, slots=True)
class Owner:
    """The household selling the product: its own visit gets its share code."""

    id: int
    user_id: int | None


@dataclass(frozen=True, slots=True)
class ProductPage:
    """A product page's parts as every visitor sees them (HTML, escaped already)."""

    owner: Owner
    canonical: str
    preview: sharing.Preview
    title: Markup
    description: Markup
    #: the preview tags, hreflang links and JSON-LD
    head: Markup
    #: the gallery and summary, up to the share box
    top: Markup
    #: the share box without a household's code
    share: Markup
    #: the buy bar, details, reviews, story and "more from this household"
    rest: Markup


def product_page(slug: str, path: str, hide_links: bool = False) -> ProductPage:
    """The page of the public product ``slug`` at ``path`` (NotFound if there is none).

    Kept per mount point too: its links hold the app's ``script_root``.
    """
    return kept(
        ("product_page", request.script_root, path, locale_key(), hide_links),
        lambda: _build(slug, path, hide_links),
    )


def _build(slug: str, path: str, hide_links: bool) -> ProductPage:
    product = services.get_public_product(slug)
    # No query for a product nobody has reviewed (its count says so).
    reviews = visible_reviews(product.id) if product.rating_count else []
    urls = sharing.page_urls(path, locale_key())
    preview = sharing.product_preview(product)
    closure = stock.sale_closure_of(product, today_local())
    share = sharing.share_link("produk", urls.canonical, preview, None)
    media_url = media_url_maker()
    photos = [card_photo(photo, media_url) for photo in product.photos]
    parts = _render_parts(
        product=product,
        photos=photos,
        photo_by_key={photo.key: made for photo, made in zip(product.photos, photos, strict=True)},
        more=services.more_from_seller(product),
        reviews=reviews,
        closure=closure,
        urls=urls,
        preview=preview,
        structured=sharing.product_data(product, urls, closed=closure is not None),
        share=share,
        path=path,
        hide_links=hide_links,
    )
    return ProductPage(
        owner=Owner(product.seller.id, product.seller.user_id),
        canonical=urls.canonical,
        preview=preview,
        **parts,
    )


#: What a kept part must never read, the visitor's own: the template globals Flask and its
#: extensions give every template, here undefined (a part that used one fails to render).
_THE_VISITOR = {
    name: StrictUndefined(name=name)
    for name in ("request", "session", "g", "current_user", "csrf_token", "can_hide_reviews")
}


def _render_parts(**values) -> dict[str, Markup]:
    """Each block of the parts template, rendered with ``values`` and the app's template
    globals, filters and ``_()``: no context processor, and nothing of the visitor."""
    template = current_app.jinja_env.get_template(PARTS_TEMPLATE)
    context = template.new_context(_THE_VISITOR | values)
    # autoescaped by Jinja when rendered: safe to insert as it is
    return {
        name: Markup(concat(block(context)))  # noqa: S704
        for name, block in template.blocks.items()
    }
