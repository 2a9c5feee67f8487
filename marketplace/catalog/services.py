"""Reading the catalogue for the public pages, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Date, Select, and_, any_, bindparam, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.accounts.models import Role, User
from marketplace.catalog.lexicon import understand_query
from marketplace.catalog.models import (
    PRODUCT_MOVES,
    Category,
    PhotoVariants,
    Product,
    ProductKind,
    ProductPhoto,
    ProductStatus,
    ProductStatusChange,
    Region,
    Seller,
    SellerStatus,
)
from marketplace.catalog.search import build_search_text, search_page, search_terms
from marketplace.db import db, now_utc, read_rows, today_local, update_if
from marketplace.errors import Forbidden, MarketplaceError, NotFound


class StatusError(MarketplaceError):
    pass


#: A search finds at most this many products (``SEARCH_MAX_RESULTS``).
DEFAULT_MAX_RESULTS = 300

SORTS = ("relevance", "newest", "price_asc", "price_desc", "name")


@dataclass
class ProductFilter:
    region: str | None = None
    category: str | None = None
    kind: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "newest"
    query: str = ""
    page: int = 1


@dataclass
class ProductPage:
    #: the page's products: ``ProductCard``s from the list and search, Products elsewhere
    items: list
    page: int
    has_next: bool
    filters: ProductFilter = field(default_factory=ProductFilter)
    #: how many a search found (at most its bound); None for a plain list
    total: int | None = None
    #: a search found more than ``total``: the page says "more than"
    more_than_total: bool = False
    #: the query with its typos corrected ("Maksud Anda: amplang?"), when it had any
    correction: str | None = None
    #: the query was read again leniently (against the vocabulary) after finding nothing
    read_leniently: bool = False

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def licence_in_force() -> ColumnElement[bool]:
    """A craft, or food with a P-IRT licence not yet ended or a BPOM MD licence (no end date).

    Today is taken when the statement runs (a bound parameter with a callable), so a
    statement built once (``_prebuilt``) is right on any day.
    """
    today = bindparam("licence_today", callable_=today_local, type_=Date())
    return or_(
        Product.kind == ProductKind.CRAFT.value,
        and_(Product.pirt_number.is_not(None), Product.licence_valid_until >= today),
        Product.bpom_number.is_not(None),
    )


def public_conditions() -> tuple[ColumnElement[bool], ...]:
    """What the public may see: published, from an active shop, licence in force (of a
    product and its household, joined: a WHERE's terms, or an outer join's condition)."""
    return (
        Product.status == ProductStatus.PUBLISHED.value,
        Seller.status == SellerStatus.ACTIVE.value,
        licence_in_force(),
    )


def _public(stmt: Select) -> Select:
    """Only what the public may see (``public_conditions``)."""
    return stmt.where(*public_conditions())


def _cards() -> Select:
    """Products with what a card shows: shop, region and photos, without N+1 queries."""
    return (
        select(Product)
        .join(Product.seller)
        .join(Seller.region)
        .options(
            contains_eager(Product.seller).contains_eager(Seller.region),
            selectinload(Product.photos),
        )
    )


@dataclass(frozen=True)
class CoverPhoto(PhotoVariants):
    """A product's first photo, as a card shows it."""

    key: str
    width: int
    height: int
    variant_widths: str


@dataclass(frozen=True, slots=True)
class ProductCard:
    """What a card shows of a public product, read as plain columns: no ORM object, no
    identity map, no relationship loading (a grid of 24 cost about as much in the ORM's
    bookkeeping as in everything else on the page)."""

    id: int
    slug: str
    name: str
    price_amount: int
    promotion_discount: int
    stock_for_sale: int
    is_made_to_order: bool
    rating_sum: int
    rating_count: int
    shop_name: str
    region_name: str
    #: its active options sell at more than one price: "mulai" before the lowest
    has_price_range: bool
    cover: CoverPhoto | None = None

    @property
    def price_now(self) -> int:
        """As ``Product.price_now``: the list price less the best live promotion."""
        return self.price_amount - (self.promotion_discount or 0)

    @property
    def on_promotion(self) -> bool:
        return bool(self.promotion_discount)

    @property
    def in_stock(self) -> bool:
        """As ``Product.in_stock`` (inventory): made to order, or units left for sale."""
        return self.is_made_to_order or self.stock_for_sale > 0


def _card_columns() -> Select:
    """Exactly the columns a card shows, with the shop and region joined.

    ``stock_for_sale`` is the inventory's column property on Product (stock less the
    quotes' holds), there once the app is built, as ``_cards`` loads it too.
    """
    return (
        select(
            Product.id,
            Product.slug,
            Product.name,
            Product.price_amount,
            Product.promotion_discount.label("promotion_discount"),
            Product.stock_for_sale.label("stock_for_sale"),
            Product.is_made_to_order,
            Product.rating_sum,
            Product.rating_count,
            Seller.shop_name,
            Region.name.label("region_name"),
            Product.has_price_range.label("has_price_range"),
        )
        .join(Product.seller)
        .join(Seller.region)
    )


#: each product's photos as plain columns, in the order the product shows them (``ids``:
#: the products); built once
PRODUCT_PHOTOS = (
    select(
        ProductPhoto.product_id,
        ProductPhoto.key,
        ProductPhoto.width,
        ProductPhoto.height,
        ProductPhoto.variant_widths,
    )
    .where(ProductPhoto.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(ProductPhoto.product_id, ProductPhoto.position, ProductPhoto.id)
)


def photos_of(product_ids: list[int]) -> dict[int, list[CoverPhoto]]:
    """Each product's photos, first the cover, as plain values (one statement; a product
    without photos is absent)."""
    found: dict[int, list[CoverPhoto]] = {}
    if product_ids:
        for product_id, *columns in read_rows(PRODUCT_PHOTOS, {"ids": product_ids}):
            found.setdefault(product_id, []).append(CoverPhoto(*columns))
    return found


def _product_cards(rows) -> list[ProductCard]:
    """Cards from ``_card_columns`` rows, with each one's cover: one more statement."""
    photos = photos_of([row.id for row in rows])
    covers = {product_id: own[0] for product_id, own in photos.items()}
    return [
        ProductCard(
            id=row.id,
            slug=row.slug,
            name=row.name,
            price_amount=row.price_amount,
            promotion_discount=row.promotion_discount,
            stock_for_sale=row.stock_for_sale,
            is_made_to_order=row.is_made_to_order,
            rating_sum=row.rating_sum,
            rating_count=row.rating_count,
            shop_name=row.shop_name,
            region_name=row.region_name,
            has_price_range=bool(row.has_price_range),
            cover=covers.get(row.id),
        )
        for row in rows
    ]


def _filtered(stmt: Select, filters: ProductFilter) -> Select:
    """``stmt`` (over public products, shop and region joined) narrowed by the filters."""
    if filters.region:
        stmt = stmt.where(Region.slug == filters.region)
    if filters.category:
        stmt = stmt.join(Product.category).where(Category.slug == filters.category)
    return _by_kind_and_price(stmt, filters)


def _by_kind_and_price(stmt: Select, filters: ProductFilter) -> Select:
    """``stmt`` narrowed by the filters' kind and price range (the price now)."""
    if filters.kind in (ProductKind.FOOD.value, ProductKind.CRAFT.value):
        stmt = stmt.where(Product.kind == filters.kind)
    if filters.min_price is not None:
        stmt = stmt.where(Product.price_now >= filters.min_price)
    if filters.max_price is not None:
        stmt = stmt.where(Product.price_now <= filters.max_price)
    return stmt


def _searchable(filters: ProductFilter) -> Select:
    """The ids a search may find (public, filtered), read from ``products`` alone.

    The shops (active, in the region asked for) and the category are looked up once,
    before products are read (on PostgreSQL ``= ANY(ARRAY(...))``, worked out once), not
    joined: joined, the planner may read every match of common words to join them before
    the search's bound stops the scan, as it estimates words that go together ("keripik",
    "pisang") as if they were independent, hence rare.
    """
    shops = select(Seller.id).where(Seller.status == SellerStatus.ACTIVE.value)
    if filters.region:
        shops = shops.join(Seller.region).where(Region.slug == filters.region)
    if db.session.get_bind().dialect.name == "postgresql":
        in_shops = Product.seller_id == any_(func.array(shops.scalar_subquery()))
    else:
        in_shops = Product.seller_id.in_(shops)
    stmt = select(Product.id).where(
        Product.status == ProductStatus.PUBLISHED.value, licence_in_force(), in_shops
    )
    if filters.category:
        category = select(Category.id).where(Category.slug == filters.category)
        stmt = stmt.where(Product.category_id == category.scalar_subquery())
    return _by_kind_and_price(stmt, filters)


def list_products(
    filters: ProductFilter, per_page: int, max_results: int = DEFAULT_MAX_RESULTS
) -> ProductPage:
    """One page of public products; ``page`` past the end raises NotFound.

    A search finds at most ``max_results`` products (its page says when there are more),
    so its cost does not grow with the catalogue; a plain list has no such bound.
    """
    order = {
        "price_asc": (Product.price_now.asc(), Product.id.asc()),
        "price_desc": (Product.price_now.desc(), Product.id.desc()),
        "name": (Product.name.asc(), Product.id.asc()),
    }.get(filters.sort, (Product.published_at.desc(), Product.id.desc()))
    terms = search_terms(filters.query)
    if filters.query and not terms:
        return ProductPage(items=[], page=1, has_next=False, filters=filters, total=0)
    offset = (filters.page - 1) * per_page
    if not terms:
        stmt = _filtered(_public(_card_columns()), filters)
        # One row more than a page tells whether there is a next page without a COUNT.
        rows = db.session.execute(stmt.order_by(*order).offset(offset).limit(per_page + 1)).all()
        if not rows and filters.page > 1:
            raise NotFound("page past the end")
        return ProductPage(
            items=_product_cards(rows[:per_page]),
            page=filters.page,
            has_next=len(rows) > per_page,
            filters=filters,
        )
    matches_from = _searchable(filters)

    def search(groups):
        # One candidate more than shown tells "more than max_results" apart from exactly that.
        stmt = search_page(
            _card_columns(),
            matches_from,
            terms,
            sort=filters.sort,
            offset=offset,
            limit=per_page + 1,
            bound=max_results + 1,
            groups=groups,
        )
        return db.session.execute(stmt).all()

    understood = understand_query(filters.query)
    rows = search(understood.groups)
    correction = None
    read_leniently = not rows
    if not rows:
        # Nothing as typed, nor in another form: typos corrected, unknown words left out.
        lenient = understand_query(filters.query, leniently=True)
        if lenient.groups != understood.groups:
            rows = search(lenient.groups)
            correction = lenient.correction
    found = rows[0].found if rows else 0
    shown = min(found, max_results)
    if offset >= shown and filters.page > 1:
        raise NotFound("page past the end")
    items = _product_cards(rows[: max(0, min(per_page, shown - offset))])
    return ProductPage(
        items=items,
        page=filters.page,
        has_next=offset + per_page < shown,
        filters=filters,
        total=shown,
        more_than_total=found > max_results,
        correction=correction,
        read_leniently=read_leniently,
    )


#: Suggestions start after this many letters.
SUGGEST_MIN_LETTERS = 2


@dataclass
class Suggestions:
    #: (name, slug) of each
    products: list[tuple[str, str]] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    shops: list[tuple[str, str]] = field(default_factory=list)


def suggest(query: str, limit: int = 5) -> Suggestions:
    """Products, categories and shops for what is typed so far (at least two letters).

    Products as a search ranks them (the last word as a prefix, stems, synonyms; typos when
    nothing else matches); categories and shops whose names have words beginning so.
    """
    terms = search_terms(query)
    if sum(len(term) for term in terms) < SUGGEST_MIN_LETTERS:
        return Suggestions()
    understood = understand_query(query)
    matches_from = _searchable(ProductFilter())
    names = select(Product.name, Product.slug)

    def found(groups) -> list:
        stmt = search_page(
            names,
            matches_from,
            terms,
            sort="relevance",
            offset=0,
            limit=limit,
            bound=limit * 20,
            groups=groups,
        )
        return db.session.execute(stmt).all()

    rows = found(understood.groups)
    if not rows:
        lenient = understand_query(query, leniently=True)
        if lenient.groups != understood.groups:
            rows = found(lenient.groups)
    categories = [
        category
        for category in all_categories()
        if all(
            any(_begins(f"{category.name} {category.name_en}", w) for w in (*g.typed, *g.exact))
            for g in understood.groups
        )
    ]
    shop_rows = db.session.execute(
        select(Seller.shop_name, Seller.slug)
        .where(
            Seller.status == SellerStatus.ACTIVE.value,
            *(_name_begins(Seller.shop_name, term) for term in terms),
        )
        .order_by(Seller.shop_name)
        .limit(3)
    ).all()
    return Suggestions(
        products=[(row.name, row.slug) for row in rows],
        categories=categories[:3],
        shops=[(row.shop_name, row.slug) for row in shop_rows],
    )


def _begins(name: str, phrase: str) -> bool:
    """Whether a word of ``name`` begins with ``phrase`` (folded words)."""
    return f" {phrase}" in " " + build_search_text(name)


def _name_begins(column, term: str):
    """The same in SQL; ``term`` is a plain word (``[0-9a-z]+``), never a pattern."""
    return (" " + func.replace(func.lower(column), "-", " ")).like(f"% {term}%")


# The product page's statements have one shape: built once per process (building one
# costs about a fifth of running it), their values bound at each run.


@cache
def _public_product_stmt() -> Select:
    return _public(
        select(Product)
        .join(Product.seller)
        .join(Seller.region)
        .where(Product.slug == bindparam("slug"))
        .options(
            contains_eager(Product.seller).contains_eager(Seller.region),
            joinedload(Product.category),
            # a handful of photos: in the same statement (a product page's first visit)
            joinedload(Product.photos),
            selectinload(Product.variants),
        )
    )


@cache
def _more_from_seller_stmt(limit: int) -> Select:
    return (
        _public(_card_columns())
        .where(Product.seller_id == bindparam("seller_id"), Product.id != bindparam("product_id"))
        .order_by(Product.published_at.desc())
        .limit(limit)
    )


def get_public_product(slug: str) -> Product:
    product = db.session.scalars(_public_product_stmt(), {"slug": slug}).unique().one_or_none()
    if product is None:
        raise NotFound("no such product")
    return product


def more_from_seller(product: Product, limit: int = 4) -> list[ProductCard]:
    values = {"seller_id": product.seller_id, "product_id": product.id}
    return _product_cards(db.session.execute(_more_from_seller_stmt(limit), values).all())


def featured_products(limit: int = 8) -> list[ProductCard]:
    stmt = _public(_card_columns()).order_by(Product.published_at.desc(), Product.id.desc())
    return _product_cards(db.session.execute(stmt.limit(limit)).all())


def regions_with_counts() -> list[tuple[Region, int]]:
    counted = (
        _public(select(Seller.region_id, func.count(Product.id).label("n")).join(Product.seller))
        .group_by(Seller.region_id)
        .subquery()
    )
    stmt = (
        select(Region, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.region_id == Region.id)
        .order_by(Region.name)
    )
    return [(region, count) for region, count in db.session.execute(stmt)]


def categories_with_counts() -> list[tuple[Category, int]]:
    counted = (
        _public(select(Product.category_id, func.count(Product.id).label("n")).join(Product.seller))
        .group_by(Product.category_id)
        .subquery()
    )
    stmt = (
        select(Category, func.coalesce(counted.c.n, 0))
        .outerjoin(counted, counted.c.category_id == Category.id)
        .order_by(Category.position, Category.name)
    )
    return [(category, count) for category, count in db.session.execute(stmt)]


def get_shop(slug: str) -> Seller:
    seller = db.session.scalar(
        select(Seller)
        .where(Seller.slug == slug, Seller.status == SellerStatus.ACTIVE.value)
        .options(joinedload(Seller.region))
    )
    if seller is None:
        raise NotFound("no such shop")
    return seller


def shop_products(seller: Seller, page: int, per_page: int) -> ProductPage:
    """One page of a shop's public products; ``page`` past the end raises NotFound."""
    stmt = _public(_cards()).where(Product.seller_id == seller.id)
    stmt = stmt.order_by(Product.published_at.desc(), Product.id.desc())
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    if not rows and page > 1:
        raise NotFound("page past the end")
    return ProductPage(items=rows[:per_page], page=page, has_next=len(rows) > per_page)


def all_regions() -> list[Region]:
    """The five kabupaten/kota, for filters (counting their products would read every row)."""
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def refresh_search_text(product: Product) -> None:
    """Recompute what a product is found by; call after name, text, shop or category change."""
    product.search_text = build_search_text(
        product.name,
        product.description,
        product.unit,
        product.category.name if product.category else None,
        product.category.name_en if product.category else None,
        product.seller.shop_name if product.seller else None,
        product.seller.region.name if product.seller and product.seller.region else None,
    )


def change_product_status(
    product: Product, to: ProductStatus, actor: User, note: str = ""
) -> ProductStatusChange:
    """Make one move of the product state machine and record who made it, when and why."""
    current = ProductStatus(product.status)
    role = PRODUCT_MOVES.get((current, to))
    if role is None:
        raise StatusError(_l("Perubahan status ini tidak diizinkan untuk produk ini."))
    if not actor.has_role(Role(role), Role.ADMIN):
        raise Forbidden(_l("Anda tidak boleh melakukan perubahan ini."))
    # Two moves read the same status (a double tap, two reviewers): only the first finds it.
    if not update_if(Product, product.id, Product.status == current.value, status=to.value):
        raise StatusError(_l("Status produk sudah berubah. Muat ulang halaman."))
    change = ProductStatusChange(
        product=product,
        from_status=current.value,
        to_status=to.value,
        actor_id=actor.id,
        note=note.strip(),
        photo_keys=product.photo_keys,
    )
    db.session.add(change)
    product.status = to.value
    if to is ProductStatus.PUBLISHED and product.published_at is None:
        product.published_at = now_utc()
    if current is ProductStatus.PENDING_REVIEW and to is ProductStatus.PUBLISHED:
        product.packaging_approved_at = now_utc()
    db.session.flush()
    return change


def public_cards() -> Select:
    """Public products with what a card shows; other domains add their own filters."""
    return _public(_cards())


def sitemap_products() -> list[tuple[str, dt.datetime]]:
    """Every public product's slug and when it last changed, for ``sitemap.xml``."""
    stmt = _public(select(Product.slug, Product.updated_at).join(Product.seller)).order_by(
        Product.id
    )
    return [(slug, updated_at) for slug, updated_at in db.session.execute(stmt)]


def sitemap_shops() -> list[str]:
    """The slugs of the active shops that have a public product."""
    stmt = _public(select(Seller.slug).join(Product.seller)).distinct().order_by(Seller.slug)
    return list(db.session.scalars(stmt))
