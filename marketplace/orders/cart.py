"""The cart: in the signed session for a visitor, in the database for an account.

The price a buyer saw is kept with each line, so a change shows before checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, and_, bindparam, delete, select
from sqlalchemy.orm import contains_eager, selectinload

from marketplace.accounts.models import User
from marketplace.accounts.signals import signed_in
from marketplace.catalog import places
from marketplace.catalog.models import Product, Region, Seller
from marketplace.catalog.options import ProductVariant
from marketplace.catalog.services import CoverPhoto, _public, photos_of, public_conditions
from marketplace.catalogmemo import kept
from marketplace.db import db, lock_row, read_rows, today_local
from marketplace.errors import MarketplaceError
from marketplace.inventory.capacity import Closure, closed_for_sale
from marketplace.inventory.stock import closures_of, has_closures, sale_closure_of, supply_of
from marketplace.orders import shipping
from marketplace.orders.cart_lines import (
    Cart,
    CartGroup,
    CartLine,
    LineKey,
    ShownOption,
    ShownProduct,
    ShownRegion,
    ShownSeller,
    key_of,
    key_text,
)
from marketplace.orders.models import (
    CartItem,
    Delivery,
)

MAX_QUANTITY = 99

MAX_CART_LINES = 50


class CartError(MarketplaceError):
    pass


#: A signed-out cart, kept in the signed session cookie: {"<line key>": [quantity, price seen]}
SessionCart = dict[str, list[int]]


def closed_message(shop_name: str, closure: Closure) -> str:
    """What a buyer is told of a closed shop: the same words on the page, cart and checkout."""
    return _(
        "Toko %(shop)s libur sampai %(date)s.",
        shop=shop_name,
        date=format_date(closure.ends_on, "long"),
    )


def _photos_of(product_ids: list[int]) -> dict[int, tuple[CoverPhoto, ...]]:
    """Each product's photos in the order the product shows them. Photos are catalogue
    rows (a change moves the catalogue version), so they are kept per version and set of
    products (``marketplace.catalogmemo``); prices, stock and holds are never kept."""
    ids = frozenset(product_ids)

    def read() -> dict[int, tuple[CoverPhoto, ...]]:
        found = photos_of(list(ids))
        return {product_id: tuple(found.get(product_id, ())) for product_id in ids}

    return kept(("cart_photos", ids), read) if ids else {}


def check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(_l("Jumlah harus antara 1 dan %(n)s.", n=MAX_QUANTITY), field="quantity")
    return quantity


def _public_product(product_id: int) -> Product:
    product = db.session.scalar(
        _public(select(Product).join(Product.seller))
        .where(Product.id == product_id)
        .options(selectinload(Product.variants))
        .execution_options(populate_existing=True)  # the price of this moment
    )
    if product is None:
        raise CartError(_l("Produk ini tidak tersedia lagi."))
    return product


def _price_of(product: Product, variant_id: int | None) -> int:
    """The price now of the product or of its option ``variant_id``; a product with options
    is bought by option, and an option must be one of its own active ones."""
    if not product.options:
        if variant_id is not None:
            raise CartError(_l("Pilihan ini tidak tersedia lagi."), field="variant_id")
        return product.price_now
    variant = product.option(variant_id)
    if variant is None:
        raise CartError(
            _l("Pilih salah satu pilihan produk ini.")
            if variant_id is None
            else _l("Pilihan ini tidak tersedia lagi."),
            field="variant_id",
        )
    return variant.price_now


#: an account's cart lines, built once (the account bound as it runs)
_ACCOUNT_LINES = select(
    CartItem.product_id, CartItem.variant_id, CartItem.quantity, CartItem.seen_price_amount
).where(CartItem.user_id == bindparam("user_id"))


def _stored_lines(user_id: int | None, session_cart: SessionCart) -> dict[LineKey, tuple[int, int]]:
    """{(product id, option id): (quantity, price seen)} from the database or the session."""
    if user_id is None:
        return {key_of(key): (value[0], value[1]) for key, value in session_cart.items()}
    rows = read_rows(_ACCOUNT_LINES, {"user_id": user_id}).all()  # fetched at once
    return {(product, variant): (quantity, seen) for product, variant, quantity, seen in rows}


def _store_line(
    user_id: int | None, session_cart: SessionCart, key: LineKey, quantity: int, price: int
) -> None:
    if user_id is None:
        session_cart[key_text(key)] = [quantity, price]
        return
    product_id, variant_id = key
    item = db.session.scalar(
        select(CartItem).where(
            CartItem.user_id == user_id,
            CartItem.product_id == product_id,
            CartItem.variant_id.is_(None)
            if variant_id is None
            else CartItem.variant_id == variant_id,
        )
    )
    if item is None:
        db.session.add(
            CartItem(
                user_id=user_id,
                product_id=product_id,
                variant_id=variant_id,
                quantity=quantity,
                seen_price_amount=price,
            )
        )
    else:
        item.quantity = quantity
        item.seen_price_amount = price
    db.session.flush()


def add_to_cart(
    product_id: int,
    quantity: int,
    *,
    user_id: int | None,
    session_cart: SessionCart,
    variant_id: int | None = None,
) -> None:
    """Put ``quantity`` more of a product (of its option ``variant_id``) in the cart, at
    today's price.

    Each press adds, as in most shops: two presses make two, whether a second apart or at
    the same moment (a double tap); the buyer sees the quantity in the cart and changes it
    there. Of two at once, the second reads the line the first wrote: the buyer's row is
    taken first (one line of two, never two lines of one nor a count lost).
    """
    check_quantity(quantity)
    if user_id is not None:
        lock_row(User, user_id)
    product = _public_product(product_id)
    price = _price_of(product, variant_id)
    if closure := sale_closure_of(product, today_local()):
        raise CartError(
            closed_message(product.seller.shop_name, closure)
            + " "
            + _("Produknya bisa dibeli lagi sesudah itu.")
        )
    key = (product_id, variant_id)
    stored = _stored_lines(user_id, session_cart)
    if key not in stored and len(stored) >= MAX_CART_LINES:
        raise CartError(_l("Keranjang sudah penuh (%(n)s produk).", n=MAX_CART_LINES))
    total = min(stored.get(key, (0, 0))[0] + quantity, MAX_QUANTITY)
    _store_line(user_id, session_cart, key, total, price)


def set_cart_quantity(
    product_id: int,
    quantity: int,
    *,
    user_id: int | None,
    session_cart: SessionCart,
    variant_id: int | None = None,
) -> None:
    """Change a line's quantity; it also accepts the product's current price."""
    check_quantity(quantity)
    key = (product_id, variant_id)
    stored = _stored_lines(user_id, session_cart)
    if key not in stored:
        raise CartError(_l("Produk ini tidak ada di keranjang."))
    product = _public_product(product_id)
    _store_line(user_id, session_cart, key, quantity, _price_of(product, variant_id))


def remove_from_cart(
    product_id: int,
    *,
    user_id: int | None,
    session_cart: SessionCart,
    variant_id: int | None = None,
) -> None:
    if user_id is None:
        session_cart.pop(key_text((product_id, variant_id)), None)
        return
    db.session.execute(
        delete(CartItem).where(
            CartItem.user_id == user_id,
            CartItem.product_id == product_id,
            CartItem.variant_id.is_(None)
            if variant_id is None
            else CartItem.variant_id == variant_id,
        )
    )
    db.session.flush()


def accept_cart_prices(*, user_id: int | None, session_cart: SessionCart) -> None:
    """The buyer has seen the new prices: remember them as the ones agreed to."""
    for line in load_cart(user_id=user_id, session_cart=session_cart).lines:
        if line.price_changed:
            _store_line(
                user_id,
                session_cart,
                (line.product_id, line.variant_id),
                line.quantity,
                line.price_now,
            )


def clear_cart(*, user_id: int | None, session_cart: SessionCart) -> None:
    session_cart.clear()
    if user_id is not None:
        db.session.execute(delete(CartItem).where(CartItem.user_id == user_id))
        db.session.flush()


def merge_session_cart(user_id: int, session_cart: SessionCart) -> None:
    """At sign-in, the signed-out cart joins the account's: quantities add up."""
    stored = _stored_lines(user_id, {})
    existing = set(
        db.session.scalars(
            _public(select(Product.id).join(Product.seller)).where(
                Product.id.in_([key_of(key)[0] for key in session_cart])
            )
        )
    )
    options = set(
        db.session.scalars(
            select(ProductVariant.id).where(
                ProductVariant.id.in_([key_of(key)[1] for key in session_cart if ":" in key])
            )
        )
    )
    for text, (quantity, price) in session_cart.items():
        key = key_of(text)
        if key[0] not in existing or (key[1] is not None and key[1] not in options):
            continue
        if key not in stored and len(stored) >= MAX_CART_LINES:
            break
        total = min(stored.get(key, (0, 0))[0] + quantity, MAX_QUANTITY)
        _store_line(user_id, {}, key, total, price)
        stored[key] = (total, price)
    session_cart.clear()


@signed_in.connect
def _carry_cart_into_account(user: User, carried: dict) -> None:
    """The cart a visitor filled before signing in joins the account's."""
    if carried.get("cart"):
        merge_session_cart(user.id, dict(carried["cart"]))


@cache
def _cart_products_statement():
    """An order's products (``product_ids``), read whole, built once; today's date is bound
    as it runs (``licence_in_force``). Read afresh: the price of this moment."""
    return (
        _public(select(Product).join(Product.seller).join(Seller.region))
        .where(Product.id.in_(bindparam("product_ids", expanding=True)))
        .options(
            contains_eager(Product.seller).contains_eager(Seller.region),
            selectinload(Product.variants),
        )
        .execution_options(populate_existing=True)
    )


#: Where each part of ``_page_columns`` starts in a row: the product's own columns from 0,
#: its household's at ``_SELLER`` (``ShownSeller``'s, the region's at ``_REGION``), the
#: option's at ``_OPTION``, the closures flag at ``_CLOSURES``; ``_PAGE_WIDTH`` columns in
#: all, what a statement selects after them starts there (``tests/orders`` holds these to
#: the columns).
_SELLER, _REGION, _OPTION, _CLOSURES, _PAGE_WIDTH = 12, 16, 18, 24, 25


#: What the pages read of a product (the columns of ``ShownProduct``, its household and
#: region, then of ``ShownOption``, then whether its household has closures to read),
#: one row per active option (or one without).
def _page_columns() -> tuple:
    return (
        Product.id,
        Product.slug,
        Product.name,
        Product.unit,
        Product.price_now,
        Product.stock,
        Product.stock_for_sale,
        Product.is_made_to_order,
        Product.weight_grams,
        Product.shelf_life_days,
        Product.lead_time_days,
        Product.daily_capacity,
        Seller.id,
        Seller.shop_name,
        Seller.village,
        Seller.pickup_postal_code,
        Region.name,
        Region.code,
        ProductVariant.id,
        ProductVariant.label,
        ProductVariant.price_now,
        ProductVariant.stock_for_sale,
        ProductVariant.weight_grams,
        ProductVariant.photo_key,
        has_closures(Seller.id, bindparam("closures_today", callable_=today_local, type_=Date())),
    )


def _active_options():
    """The join of a product to its active options (none: one row of NULLs)."""
    return and_(ProductVariant.product_id == Product.id, ProductVariant.is_active)


def _page_select():
    """``_page_columns`` of the public products, in order (which products: the caller's)."""
    return _public(
        select(*_page_columns())
        .join(Product.seller)
        .join(Seller.region)
        .outerjoin(ProductVariant, _active_options())
    ).order_by(Product.id, ProductVariant.position, ProductVariant.id)


@cache
def _page_products_statement():
    """What the cart, the checkout and its live figures read of the products
    (``product_ids``): ``_page_columns``. Built once; today's date and the holds' clock are
    bound as it runs."""
    return _page_select().where(Product.id.in_(bindparam("product_ids", expanding=True)))


@cache
def _account_page_statement():
    """An account's cart lines (``user_id``) with what the pages read of their products:
    ``_page_columns``, the columns of ``_ACCOUNT_LINES``, then whether the public may see
    the product (``public_conditions``, as a value), one row per line and active option,
    in ``_page_select``'s order. Each line's product, household and region are joined to
    it by key (outer joins: a line whose product is gone has NULLs), so one statement
    reads the lines and their products; a product the public may not see is one of
    neither page. Built once; today's date and the holds' clock are bound as it runs."""
    return (
        select(
            *_page_columns(),
            *_ACCOUNT_LINES.selected_columns,
            and_(*public_conditions()).label("is_public"),
        )
        .select_from(CartItem)
        .outerjoin(Product, Product.id == CartItem.product_id)
        .outerjoin(Seller, Seller.id == Product.seller_id)
        .outerjoin(Region, Region.id == Seller.region_id)
        .outerjoin(ProductVariant, _active_options())
        .where(_ACCOUNT_LINES.whereclause)
        .order_by(Product.id, ProductVariant.position, ProductVariant.id)
    )


def _shown_products(rows) -> dict[int, ShownProduct]:
    """The products of rows of ``_page_columns`` (in ``_page_select``'s order), a household
    read in several rows one value, an option read in several (next to each other) one."""
    products: dict[int, ShownProduct] = {}
    sellers: dict[int, ShownSeller] = {}
    for row in rows:  # fetched at once, not row by row through the result
        product = products.get(row[0])
        if product is None:
            seller_id = row[_SELLER]
            seller = sellers.get(seller_id)
            if seller is None:
                seller = sellers[seller_id] = ShownSeller(
                    *row[_SELLER:_REGION],
                    ShownRegion(*row[_REGION:_OPTION]),
                    bool(row[_CLOSURES]),
                )
            product = products[row[0]] = ShownProduct(*row[:_SELLER], seller_id, seller, [])
        option_id = row[_OPTION]
        if option_id is not None and (not product.options or product.options[-1].id != option_id):
            product.options.append(ShownOption(*row[_OPTION:_CLOSURES]))
    return products


def _page_products(product_ids: list[int]) -> dict[int, ShownProduct]:
    """The products as the pages read them (``_page_products_statement``), one statement."""
    rows = read_rows(_page_products_statement(), {"product_ids": product_ids}).all()
    return _shown_products(rows)


def _account_page_lines(
    user_id: int,
) -> tuple[dict[LineKey, tuple[int, int]], dict[int, ShownProduct]]:
    """An account's cart lines (as ``_stored_lines``) and their products as the pages read
    them (as ``_page_products`` of the lines' products): one statement,
    ``_account_page_statement``."""
    rows = read_rows(_account_page_statement(), {"user_id": user_id}).all()
    stored, public = {}, []
    for row in rows:
        product_id, variant_id, quantity, seen, is_public = row[_PAGE_WIDTH:]
        # a line with several active options comes in one row per option: the same values
        stored[product_id, variant_id] = (quantity, seen)
        if is_public:
            public.append(row)
    return stored, _shown_products(public)


def load_cart(
    *,
    user_id: int | None,
    session_cart: SessionCart,
    province: str = places.KALTARA,
    city: str = "",
    delivery: str = Delivery.SHIP.value,
    pickup_seller_ids: frozenset[int] = frozenset(),
    postal_code: str = "",
    rate_choices: Mapping[int, str] | None = None,
    with_photos: bool = False,
    for_page: bool = False,
) -> Cart:
    """The cart grouped by household, each group with its shipping to the destination
    (``province`` and ``city`` are Kemendagri codes: ``65``, ``65.71``).

    With ``delivery`` "pickup" every household's part is collected; otherwise those in
    ``pickup_seller_ids`` are, when the buyer is in their kabupaten/kota. Each parcel is
    priced by the shipping provider (``shipping.quotes``, all households at once) to
    ``postal_code``, at the rate the buyer chose (``rate_choices``: {household: "jne:reg"}),
    else the cheapest. The photos are read only ``with_photos`` (the cart page shows them);
    ``for_page``, plain values of the columns the pages show and price with
    (``ShownProduct``): an order reads its products whole.
    """
    products: Mapping[int, Product | ShownProduct]
    if for_page and user_id is not None:
        stored, products = _account_page_lines(user_id)
    else:
        stored = _stored_lines(user_id, session_cart)
        product_ids = [product_id for product_id, _ in stored]
        if for_page:
            products = _page_products(product_ids)
        else:
            products = {
                product.id: product
                for product in db.session.scalars(
                    _cart_products_statement(), {"product_ids": product_ids}
                )
            }
    groups: dict[int, CartGroup] = {}
    unavailable: list[CartLine] = []
    today = today_local()
    # the page's values say which households have closures to read (most have none)
    away = {p.seller_id for p in products.values() if not for_page or p.seller.has_closures}
    closures = closures_of(away, today) if away else {}
    photos = _photos_of(list(products)) if with_photos else {}
    for (product_id, variant_id), (quantity, price) in sorted(
        stored.items(), key=lambda item: (item[0][0], item[0][1] or 0)
    ):
        product = products.get(product_id)
        line = CartLine(
            product_id,
            quantity,
            price,
            product,
            variant_id=variant_id,
            photos=photos.get(product_id, ()),
        )
        if line.is_unavailable:
            unavailable.append(line)
            continue
        line.closure = closed_for_sale(
            supply_of(product, closures.get(product.seller_id, ())), today
        )
        group = groups.setdefault(product.seller_id, CartGroup(seller=product.seller))
        group.lines.append(line)
    shipped = []
    for group in groups.values():
        region_code = group.seller.region.code
        group.can_pickup = shipping.is_same_region(city, region_code)
        if delivery == Delivery.PICKUP.value or (
            group.can_pickup and group.seller.id in pickup_seller_ids
        ):
            group.pickup = True
            continue  # collected at the household: no parcel, no shipping
        group.zone = shipping.shipping_zone(province, city, region_code)
        shipped.append(group)
    _price_shipping(shipped, shipping.Place(postal_code, province, city), rate_choices or {})
    ordered = sorted(groups.values(), key=lambda group: group.seller.shop_name)
    return Cart(groups=ordered, unavailable=unavailable)


def _price_shipping(
    groups: list[CartGroup], destination: shipping.Place, rate_choices: Mapping[int, str]
) -> None:
    """Each parcel's quote (asked for all households in parallel) and the rate charged."""
    quotes = shipping.quotes(
        [
            (
                shipping.household_origin(
                    group.seller.region.code, group.seller.pickup_postal_code
                ),
                destination,
                shipping.Parcel(group.weight_grams, group.items_amount),
            )
            for group in groups
        ]
    )
    for group, quote in zip(groups, quotes, strict=True):
        group.quote = quote
        group.rate = quote.rate(rate_choices.get(group.seller.id, ""))
        group.shipping_amount = group.rate.price
