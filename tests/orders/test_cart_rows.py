"""A signed-in cart's lines and products as the pages read them (in one statement, the
products joined to the cart's items) are the lines and the products read by their ids, and
the page's cart is the order's."""

from __future__ import annotations

import datetime as dt

from marketplace.catalog.models import ProductStatus, SellerStatus
from marketplace.db import db, today_local
from marketplace.inventory import closures
from marketplace.orders import cart as carts
from tests import factories


def _filled_cart():
    """An account's cart: two options of one product (a third inactive), a plain product of
    another household, a product withdrawn since and one of a household no longer active."""
    buyer = factories.make_user()
    chips = factories.make_product(name="Keripik Pisang", price=20000)
    pedas, original, _old = factories.make_options(
        chips, ("Pedas", 22000, 5), ("Original", 20000, 7), ("Lama", 18000, 3)
    )
    plain = factories.make_product(name="Tas Rotan", price=250000)
    withdrawn = factories.make_product(name="Amplang", price=35000)
    away = factories.make_product(name="Madu", price=150000)
    db.session.flush()
    for product, quantity, variant in (
        (chips, 2, pedas),
        (plain, 1, None),
        (chips, 1, original),
        (withdrawn, 3, None),
        (away, 1, None),
    ):
        carts.add_to_cart(
            product.id,
            quantity,
            user_id=buyer.id,
            session_cart={},
            variant_id=variant.id if variant else None,
        )
    _old.is_active = False
    withdrawn.status = ProductStatus.DRAFT.value
    away.seller.status = SellerStatus.SUSPENDED.value
    db.session.flush()
    return buyer, chips, plain


def test_a_carts_lines_and_products_read_together_are_those_read_apart(app):
    buyer, chips, plain = _filled_cart()
    stored, products = carts._account_page_lines(buyer.id)
    # every line, those whose product is gone from sale too, as the lines alone read them
    assert stored == carts._stored_lines(buyer.id, {})
    assert len(stored) == 5
    assert products == carts._page_products([product_id for product_id, _ in stored])
    assert set(products) == {chips.id, plain.id}
    assert [option.label for option in products[chips.id].options] == ["Pedas", "Original"]
    assert products[chips.id].seller is not products[plain.id].seller


def test_the_pages_cart_is_the_orders_cart(app):
    buyer, chips, plain = _filled_cart()

    def seen(cart):
        return (
            [
                (line.product_id, line.variant_id, line.quantity, line.price_now, line.closure)
                for group in cart.groups
                for line in group.lines
            ],
            [(line.product_id, line.quantity) for line in cart.unavailable],
            [(group.seller.id, group.shipping_amount) for group in cart.groups],
        )

    for_page = seen(carts.load_cart(user_id=buyer.id, session_cart={}, for_page=True))
    assert for_page == seen(carts.load_cart(user_id=buyer.id, session_cart={}))
    lines, unavailable, groups = for_page
    assert len(lines) == 3 and len(unavailable) == 2 and len(groups) == 2


def test_the_pages_read_closures_of_the_households_that_have_them(app):
    """Only a household with closures not yet over is asked for them; the page's cart
    says the closure as the order's does, and a closure that is over says nothing."""
    buyer, chips, plain = _filled_cart()
    today = today_local()
    closures.close_shop(chips.seller_id, today, today + dt.timedelta(days=3), "Ke pesta", today)
    closures.close_shop(
        plain.seller_id,
        today - dt.timedelta(days=9),
        today - dt.timedelta(days=2),
        "",
        today - dt.timedelta(days=9),
    )
    db.session.flush()

    _stored, products = carts._account_page_lines(buyer.id)
    assert products[chips.id].seller.has_closures
    assert not products[plain.id].seller.has_closures
    cart = carts.load_cart(user_id=buyer.id, session_cart={}, for_page=True)
    told = {line.product_id: line.closure for line in cart.lines if not line.is_unavailable}
    assert told[chips.id].message == "Ke pesta" and told[plain.id] is None
    order_cart = carts.load_cart(user_id=buyer.id, session_cart={})
    assert told == {
        line.product_id: line.closure for line in order_cart.lines if not line.is_unavailable
    }


def test_the_rows_parts_start_where_the_readers_take_them():
    """``_shown_products`` and ``_account_page_lines`` take a row's parts at named places:
    each is where its columns are in ``_page_columns`` (a column added moves them)."""
    from marketplace.catalog.models import Product, Region, Seller
    from marketplace.catalog.options import ProductVariant

    columns = carts._page_columns()
    assert len(columns) == carts._PAGE_WIDTH
    assert columns[0] is Product.id and columns[carts._SELLER - 1] is Product.daily_capacity
    assert columns[carts._SELLER] is Seller.id
    assert columns[carts._REGION] is Region.name
    assert columns[carts._OPTION] is ProductVariant.id
    assert columns[carts._CLOSURES - 1] is ProductVariant.photo_key
    assert len(columns) - 1 == carts._CLOSURES  # the closures flag, last
    line_columns = carts._account_page_statement().selected_columns[carts._PAGE_WIDTH :]
    assert [column.name for column in line_columns] == [
        "product_id",
        "variant_id",
        "quantity",
        "seen_price_amount",
        "is_public",
    ]
