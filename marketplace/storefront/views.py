"""Public browsing: home, product list with filters, product page, search, a shop."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from dataclasses import dataclass, replace
from functools import wraps
from time import monotonic
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from marketplace.catalog import services
from marketplace.catalog.lexicon import closest_categories
from marketplace.catalog.models import ProductPhoto
from marketplace.catalog.photos import PhotoError, make_share_image
from marketplace.catalog.services import ProductFilter, ProductPage
from marketplace.catalogmemo import kept, locale_key
from marketplace.db import db, now_utc, today_local
from marketplace.inventory import stock
from marketplace.numbers import NumberError, parse_whole
from marketplace.pagecache import cached_page, request_catalog_version
from marketplace.pkk import services as pkk
from marketplace.reviews.views import can_hide_reviews
from marketplace.rupiah import parse_rupiah
from marketplace.sellers import shares
from marketplace.storage import get_storage
from marketplace.storefront import sharing
from marketplace.storefront.cards import cards, photo_html, photo_urls
from marketplace.storefront.memo import CategoryRef, RegionRef
from marketplace.storefront.product_page import product_page
from marketplace.web import remember_referral

bp = Blueprint("catalog", __name__)
bp.add_app_template_global(cards, "cards")
bp.add_app_template_global(photo_urls, "photo_urls")
bp.add_app_template_global(photo_html, "photo_html")


@bp.app_template_global()
def kept_html(*name: Hashable, caller) -> Markup:
    """``{% call kept_html("name", ...) %}...{% endcall %}``: a piece of a public page that
    depends on the catalogue, the visitor's language and the app's mount point, and on the
    ``name``'s parts (the filters asked for) alone, rendered once per catalogue version and
    day (``marketplace.catalogmemo``). Whatever else it reads (the visitor, the request)
    stays out."""
    return kept(("html", name, locale_key(), request.script_root), caller)


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


def follows_shares(view):
    """A household's shared link (``?ref=<code>``): count the visit, keep the reference in
    the visitor's session for the order that may follow, and show the page at its own URL
    (one cached page for everyone, and a reload that is not another arrival)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        code = request.args.get(shares.REFERRAL_PARAM)
        if code is None:
            return view(*args, **kwargs)
        code = code[:16]
        if shares.seller_of_code(code) is not None:
            visitor = remember_referral(session, code, now_utc().timestamp())
            user_id = current_user.id if current_user.is_authenticated else None
            shares.record_visit(code, visitor, request.path, request.user_agent.string, user_id)
            db.session.commit()
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != shares.REFERRAL_PARAM]
        return redirect(request.path + ("?" + urlencode(rest) if rest else ""), 302)

    return wrapper


def _own_code(seller) -> str | None:
    """The household's reference when the household itself looks at its page."""
    if not (current_user.is_authenticated and seller.user_id == current_user.id):
        return None
    return shares.share_code_of(seller.id)


def _listing(template: str, default_sort: str):
    filters = _filters_from_request(default_sort)
    results = _results(filters)
    categories = _categories()
    return render_template(
        template,
        page=results.page,
        grid=results.grid,
        filters=filters,
        filters_key=_filters_key(filters),
        regions=_regions(),
        categories=categories,
        **(
            _next_steps(filters.query, categories)
            if filters.query and not results.page.items
            else {}
        ),
    )


def _filters_key(filters: ProductFilter) -> tuple:
    """The filters as a key: each field's value, in order (``astuple`` without its copies)."""
    return tuple(vars(filters).values())


@dataclass(frozen=True, slots=True)
class Results:
    """A page of the list or of a search as everyone sees it: its cards and their grid."""

    page: ProductPage
    #: ``product_grid`` of the page's cards, rendered
    grid: Markup
    #: the vocabulary's interval a lenient reading was made in (see ``_results``), or None
    epoch: int | None = None


def _grid(items: list) -> Markup:
    """The grid of cards (``_macros.product_grid``), rendered once for what is kept."""
    return get_template_attribute("_macros.html", "product_grid")(cards(items))


def _results(filters: ProductFilter) -> Results:
    """A page of the list or of a search, its grid rendered: kept per catalogue version,
    day, filters (query and page included), language (a card's rating and labels are
    written in it) and mount point (its links hold the app's ``script_root``).

    What a lenient reading found (typos corrected against the vocabulary, which is read
    again at most every ``SEARCH_VOCABULARY_SECONDS``) is kept only within that interval:
    a word added to the catalogue meanwhile is offered as soon as it would be without it.
    """
    config = current_app.config
    per_page, bound = config["PRODUCTS_PER_PAGE"], config["SEARCH_MAX_RESULTS"]
    every = max(1, int(config["SEARCH_VOCABULARY_SECONDS"]))

    def compute() -> Results:
        page = services.list_products(filters, per_page, bound)
        items = cards(page.items)
        return Results(
            page=replace(page, items=items, filters=replace(filters)),
            grid=_grid(items),
            epoch=int(monotonic() // every) if page.read_leniently else None,
        )

    key = ("results", _filters_key(filters), per_page, bound, locale_key(), request.script_root)
    results = kept(key, compute)
    if results.epoch is not None:
        epoch = int(monotonic() // every)
        if results.epoch != epoch:
            results = kept((*key, epoch), compute)
    return results


def _next_steps(query: str, categories: list) -> dict:
    """What a search that found nothing offers instead: the nearest categories, and the
    official gifts (the newest products while the PKK has chosen none)."""
    official = _official_cards(limit=4)
    return {
        "closest": kept(("closest", query), lambda: closest_categories(query, categories)),
        "official": official,
        "newest": [] if official else _newest_cards()[:4],
    }


# What every visitor sees alike, kept per catalogue version and day (marketplace.catalogmemo).


def _regions() -> list[RegionRef]:
    return kept("regions", lambda: [RegionRef(r.slug, r.name) for r in services.all_regions()])


def _category_ref(category, list_url: str = "") -> CategoryRef:
    return CategoryRef(category.slug, category.name, category.name_en, category.position, list_url)


def _categories() -> list[CategoryRef]:
    return kept("categories", lambda: [_category_ref(c) for c in services.all_categories()])


# Cards and chips hold links, which hold the app's mount point: kept per mount point.


def _newest_cards() -> list:
    return kept(
        ("newest", locale_key(), request.script_root), lambda: cards(services.featured_products())
    )


def _official_cards(limit: int | None = None) -> list:
    return kept(
        ("official", limit, locale_key(), request.script_root),
        lambda: cards(pkk.official_gift_products(limit=limit)),
    )


@bp.route("/")
@cached_page
def home():
    return render_template(
        "catalog/home.html",
        featured=_newest_cards(),
        official=_official_cards(limit=4),
        regions=kept(
            ("regions_counted", request.script_root),
            lambda: [
                (RegionRef(r.slug, r.name, url_for("catalog.product_list", region=r.slug)), n)
                for r, n in services.regions_with_counts()
            ],
        ),
        categories=kept(
            ("categories_counted", request.script_root),
            lambda: [
                (_category_ref(c, url_for("catalog.product_list", category=c.slug)), n)
                for c, n in services.categories_with_counts()
            ],
        ),
    )


@bp.route("/oleh-oleh-resmi")
@cached_page
def official_gifts():
    """The PKK's recommended gifts for guests, in its order."""
    return render_template("catalog/official.html", products=_official_cards())


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
    key = f"suggest:{request_catalog_version()}:{get_locale()}:{query}"
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
@follows_shares
@cached_page
def product_detail(slug: str):
    # What every visitor sees alike is kept per catalogue version (storefront.product_page).
    page = product_page(slug, request.path, hide_links=can_hide_reviews())
    code = _own_code(page.owner)
    return render_template(
        "catalog/product.html",
        page=page,
        # the household's own link, with its code; everyone else's is in the page
        share=sharing.share_link("produk", page.canonical, page.preview, code) if code else None,
    )


@bp.route("/toko/<slug>")
@follows_shares
@cached_page
def shop(slug: str):
    page = _page_arg()
    seller = services.get_shop(slug)
    products = services.shop_products(seller, page, current_app.config["PRODUCTS_PER_PAGE"])
    urls = sharing.page_urls(request.path, str(get_locale()), page)
    preview = sharing.shop_preview(seller, products.items)
    return render_template(
        "sellers/shop.html",
        seller=seller,
        page=products,
        closure=stock.shop_closure_on(seller.id, today_local()),
        urls=urls,
        preview=preview,
        structured=sharing.shop_data(seller, urls, products.items),
        share=sharing.share_link("toko", urls.canonical, preview, _own_code(seller)),
    )


@bp.route("/gambar-bagikan/<key>.jpg")
def share_image(key: str):
    """A product photo as the 1200 x 630 JPEG link previews show (made once, then kept)."""
    photo = db.session.scalar(select(ProductPhoto).where(ProductPhoto.key == key).limit(1))
    if photo is None:
        abort(404)
    storage = get_storage()
    try:
        return storage.send(make_share_image(photo, storage))
    except PhotoError:
        abort(404)  # a row whose files are gone (a restore without photos): no preview


@bp.route("/sitemap.xml")
def sitemap():
    """Every public product and shop, with its English twin (hreflang)."""
    body = render_template(
        "catalog/sitemap.xml",
        pages=sharing.sitemap_pages(services.sitemap_products(), services.sitemap_shops()),
    )
    return Response(body, mimetype="application/xml")


@bp.route("/robots.txt")
def robots():
    body = render_template("catalog/robots.txt", sitemap=sharing.site_url("/sitemap.xml"))
    return Response(body, mimetype="text/plain")
