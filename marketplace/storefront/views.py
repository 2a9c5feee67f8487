"""Public browsing: home, product list with filters, product page, search, a shop."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale

from marketplace.catalog import services
from marketplace.catalog.lexicon import closest_categories
from marketplace.catalog.services import ProductFilter
from marketplace.numbers import NumberError, parse_whole
from marketplace.pagecache import cached_page, catalog_version
from marketplace.pkk import services as pkk
from marketplace.reviews.services import visible_reviews
from marketplace.rupiah import parse_rupiah

bp = Blueprint("catalog", __name__)

MAX_PAGE = 10_000
#: How long a browser or proxy may keep a suggestion list without asking again (the ETag,
#: which holds the catalogue version, answers the asking with a 304 when nothing changed).
SUGGEST_MAX_AGE = 60


def _amount_arg(name: str) -> int | None:
    """A rupiah amount in the query string; junk is ignored rather than refused."""
    try:
        return parse_rupiah(request.args.get(name, ""))
    except NumberError:
        return None


def _page_arg() -> int:
    """The page asked for; a page that cannot exist is not found."""
    try:
        return parse_whole(request.args.get("page", "1"), minimum=1, maximum=MAX_PAGE)
    except NumberError:
        abort(404)


def _filters_from_request(default_sort: str) -> ProductFilter:
    page = _page_arg()
    sort = request.args.get("sort", default_sort)
    return ProductFilter(
        region=request.args.get("region") or None,
        category=request.args.get("category") or None,
        kind=request.args.get("kind") or None,
        min_price=_amount_arg("min_price"),
        max_price=_amount_arg("max_price"),
        sort=sort if sort in services.SORTS else default_sort,
        query=request.args.get("q", "")[:500],
        page=page,
    )


def _listing(template: str, default_sort: str):
    filters = _filters_from_request(default_sort)
    page = services.list_products(
        filters,
        current_app.config["PRODUCTS_PER_PAGE"],
        current_app.config["SEARCH_MAX_RESULTS"],
    )
    categories = services.all_categories()
    return render_template(
        template,
        page=page,
        filters=filters,
        regions=services.all_regions(),
        categories=categories,
        **(_next_steps(filters.query, categories) if filters.query and not page.items else {}),
    )


def _next_steps(query: str, categories: list) -> dict:
    """What a search that found nothing offers instead: the nearest categories, and the
    official gifts (the newest products while the PKK has chosen none)."""
    official = pkk.official_gift_products(limit=4)
    return {
        "closest": closest_categories(query, categories),
        "official": official,
        "newest": [] if official else services.featured_products(limit=4),
    }


@bp.route("/")
@cached_page
def home():
    return render_template(
        "catalog/home.html",
        featured=services.featured_products(),
        official=pkk.official_gift_products(limit=4),
        regions=services.regions_with_counts(),
        categories=services.categories_with_counts(),
    )


@bp.route("/oleh-oleh-resmi")
@cached_page
def official_gifts():
    """The PKK's recommended gifts for guests, in its order."""
    return render_template("catalog/official.html", products=pkk.official_gift_products())


@bp.route("/produk")
@cached_page
def product_list():
    return _listing("catalog/list.html", "newest")


@bp.route("/search")
@cached_page
def search():
    return _listing("catalog/search.html", "relevance")


@bp.route("/search/saran")
def suggestions():
    """What the search box suggests as a buyer types: JSON, cacheable by URL and catalogue.

    The same for everybody: kept in the page cache's store under the catalogue version,
    so the prefixes every buyer types ("am", "amp") are answered without a query.
    """
    query = request.args.get("q", "")[:200]
    key = f"suggest:{catalog_version()}:{get_locale()}:{query}"
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        store = current_app.extensions["page_cache"]
        body = store.get(key) if current_app.config.get("PAGE_CACHE", True) else None
        if body is None:
            body = json.dumps(_suggestions_json(query), ensure_ascii=False).encode()
            store.set(key, body)
        response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = SUGGEST_MAX_AGE
    response.vary.add("Accept-Language")
    return response


def _suggestions_json(query: str) -> dict:
    found = services.suggest(query)
    return {
        "query": query,
        "products": [
            {"name": name, "url": url_for("catalog.product_detail", slug=slug)}
            for name, slug in found.products
        ],
        "categories": [
            {"name": c.label, "url": url_for("catalog.product_list", category=c.slug)}
            for c in found.categories
        ],
        "shops": [
            {"name": name, "url": url_for("catalog.shop", slug=slug)} for name, slug in found.shops
        ],
        "all": {"name": query, "url": url_for("catalog.search", q=query)},
    }


@bp.route("/produk/<slug>")
@cached_page
def product_detail(slug: str):
    product = services.get_public_product(slug)
    # No query for a product nobody has reviewed (its count says so).
    reviews = visible_reviews(product.id) if product.rating_count else []
    return render_template(
        "catalog/product.html",
        product=product,
        more=services.more_from_seller(product),
        reviews=reviews,
    )


@bp.route("/toko/<slug>")
@cached_page
def shop(slug: str):
    page = _page_arg()
    seller = services.get_shop(slug)
    products = services.shop_products(seller, page, current_app.config["PRODUCTS_PER_PAGE"])
    return render_template("sellers/shop.html", seller=seller, page=products)
