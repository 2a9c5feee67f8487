"""Every change to a product's stock, a day's production or a hold, in one place.

Stock is taken with one conditional UPDATE whose row count says whether the units
were there (``CHECK (stock >= 0)`` is the backstop); ``SELECT ... FOR UPDATE`` would
lock nothing on SQLite. These are Core statements, which the ORM's flush events never
see, so each function that changes what a public page shows moves the catalogue
version itself, in the same transaction: the page a visitor saw before a checkout is
rendered afresh at the next visit. Callers make each give-back happen once (a guarded
status move comes first).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.db import db, now_utc, read_rows, update_if
from marketplace.inventory.capacity import (
    Closure,
    Promise,
    Supply,
    available_for,
    closed_for_sale,
    closure_on,
)
from marketplace.inventory.closures import not_over
from marketplace.inventory.models import (
    CapacityHold,
    ProductionDay,
    ShopClosure,
    stock_for_sale_of,
    variant_stock_for_sale_of,
)
from marketplace.pagecache import bump_catalog_version

# -- locks ---------------------------------------------------------------------------------


def lock_product(product_id: int) -> None:
    """Serialise everything that promises this product's units until the commit.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, where
    ``SELECT ... FOR UPDATE`` locks nothing; plain SQL so that it moves no ``updated_at``.
    """
    db.session.execute(text("UPDATE products SET stock = stock WHERE id = :id"), {"id": product_id})


def lock_products(product_ids: Iterable[int]) -> None:
    """Lock several products in ascending id order, as every writer does: no deadlock."""
    for product_id in sorted(set(product_ids)):
        lock_product(product_id)


# -- stock ---------------------------------------------------------------------------------


def set_stock(product: Product, units: int) -> None:
    """The household's own count of what it has (its listing form, "Stok habis").

    An ORM change: the page cache's flush hook moves the catalogue version with it.
    """
    product.stock = units


def supply_of(product: Product, closures: tuple[Closure, ...] = ()) -> Supply:
    """What the capacity arithmetic needs to know of a product (``closures``: its
    household's, from ``closures_of``)."""
    return Supply(
        stock=product.stock,
        is_made_to_order=product.is_made_to_order,
        daily_capacity=product.daily_capacity,
        lead_time_days=product.lead_time_days,
        shelf_life_days=product.shelf_life_days,
        closures=closures,
    )


def take_stock(
    product_id: int,
    units: int,
    *,
    for_quote_id: int | None = None,
    variant_id: int | None = None,
) -> bool:
    """Take ``units`` from the product's stock (and from its option ``variant_id``'s);
    False, taking nothing, if they are not there.

    Units held for an institution's quote are not there for anyone else (one conditional
    UPDATE on ``stock_for_sale``); only the quote named by ``for_quote_id`` may take what
    it holds. An option's units are taken by a second conditional UPDATE on its own row,
    after the product's (whose row lock orders every taker of the product's options, in
    the same order as ``lock_product``); the product's stock stays their sum.
    """
    if not update_if(
        Product,
        product_id,
        stock_for_sale_of(for_quote_id) >= units,
        stock=Product.stock - units,
    ):
        return False
    if variant_id is not None and not update_if(
        ProductVariant,
        variant_id,
        and_(
            ProductVariant.product_id == product_id,
            variant_stock_for_sale_of(for_quote_id) >= units,
        ),
        stock=ProductVariant.stock - units,
    ):
        # the option has not got them: the product's units go back, nothing is taken
        _add_stock(Product, product_id, units)
        return False
    bump_catalog_version()
    return True


def _add_stock(model, row_id: int, units: int) -> None:
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values(stock=model.stock + units)
        .execution_options(synchronize_session=False)
    )


def give_back_stock(product_id: int, units: int, variant_id: int | None = None) -> None:
    """Return ``units`` to the product's stock (and to its option's)."""
    _add_stock(Product, product_id, units)
    if variant_id is not None:
        _add_stock(ProductVariant, variant_id, units)
    bump_catalog_version()


def set_option_stock(product: Product, stocks: dict[ProductVariant, int]) -> None:
    """The household's own count of each option (its options form); the product's stock
    becomes the sum of its active options' (an ORM change, as ``set_stock``)."""
    for variant, units in stocks.items():
        variant.stock = units
    if product.options:
        product.stock = sum(variant.stock for variant in product.options)


# -- production days (made-to-order goods bought in the shop) ------------------------------


def order_promises(product_ids: Iterable[int], today: dt.date) -> dict[int, list[Promise]]:
    """What checkout took on days after today, as promises due the day after each day.

    Today's making serves no hold (holds count working days after today), so it is left out.
    """
    found: dict[int, list[Promise]] = defaultdict(list)
    rows = read_rows(
        _order_promises_statement(), {"product_ids": list(product_ids), "today": today}
    )
    for product_id, day, units in rows:
        found[product_id].append(_made_on(day, units))
    return found


def _made_on(day: dt.date, units: int) -> Promise:
    """Units checkout took of a day's making: promised for the day after it."""
    return Promise(units, day + dt.timedelta(days=1))


@cache
def _order_promises_statement():
    """``order_promises``' statement, built once (every page that counts supply asks it)."""
    return select(ProductionDay.product_id, ProductionDay.day, ProductionDay.units_taken).where(
        ProductionDay.product_id.in_(bindparam("product_ids", expanding=True)),
        ProductionDay.day > bindparam("today"),
        ProductionDay.units_taken > 0,
    )


def take_production(product_id: int, day: dt.date, units: int, today: dt.date) -> bool:
    """Take ``units`` of a made-to-order product from its making on ``day``.

    The product's row lock orders this against holds and other checkouts; the day must
    keep room within the listing's ``daily_capacity`` (one conditional UPDATE, with the
    table's CHECK as a backstop), and taking the units must break no institution's hold.
    Returns False, taking nothing, when the units are not there.
    """
    lock_product(product_id)
    found = db.session.execute(
        select(Product.stock, Product.daily_capacity, Product.lead_time_days).where(
            Product.id == product_id
        )
    ).one_or_none()
    if found is None or not found.daily_capacity or units > found.daily_capacity:
        return False
    capacity = found.daily_capacity
    if day > today:
        # The same count as the gift-box builder and a quote's approval.
        supply = Supply(
            stock=found.stock,
            is_made_to_order=True,
            daily_capacity=capacity,
            lead_time_days=found.lead_time_days,
        )
        promises = promises_on([product_id], today)[product_id]
        if available_for(supply, today, day + dt.timedelta(days=1), promises) < units:
            return False
    values = {"product_id": product_id, "day": day, "units_capacity": capacity, "units_taken": 0}
    # INSERT ... ON CONFLICT DO NOTHING: both dialects spell it the same way.
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    db.session.execute(
        insert(ProductionDay)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["product_id", "day"])
    )
    # The day follows the listing: a household that can now make more (or fewer) a day
    # gets that for the days still open.
    result = db.session.execute(
        update(ProductionDay)
        .where(
            ProductionDay.product_id == product_id,
            ProductionDay.day == day,
            ProductionDay.units_taken + units <= capacity,
        )
        .values(units_taken=ProductionDay.units_taken + units, units_capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    bump_catalog_version()
    return True


def give_back_production(product_id: int, day: dt.date, units: int) -> None:
    """Return units an order took from a production day."""
    db.session.execute(
        update(ProductionDay)
        .where(ProductionDay.product_id == product_id, ProductionDay.day == day)
        .values(units_taken=ProductionDay.units_taken - units)
        .execution_options(synchronize_session=False)
    )
    bump_catalog_version()


# -- holds (an institution's quote) --------------------------------------------------------


def hold_promises(
    product_ids: Iterable[int], exclude_quote_id: int | None = None
) -> dict[int, list[Promise]]:
    """Live holds per product (not released, not yet expired), except one quote's own."""
    return _live_holds("product_id", product_ids, exclude_quote_id)


def option_promises(
    variant_ids: Iterable[int], exclude_quote_id: int | None = None
) -> dict[int, list[Promise]]:
    """Live holds per option (not released, not yet expired), except one quote's own."""
    return _live_holds("variant_id", variant_ids, exclude_quote_id)


def _live_holds(
    column: str, ids: Iterable[int], exclude_quote_id: int | None
) -> dict[int, list[Promise]]:
    """The live holds whose ``column`` (the product's or the option's id) is one of ``ids``;
    the time is taken as the statement runs."""
    ids = list(ids)
    found: dict[int, list[Promise]] = {key: [] for key in ids}
    if not ids:
        return found
    values = {"ids": ids, "now": now_utc()}
    if exclude_quote_id is not None:
        values["exclude_quote_id"] = exclude_quote_id
    rows = read_rows(_live_holds_statement(column, exclude_quote_id is not None), values)
    for key, quantity, due_on in rows:
        found[key].append(Promise(quantity, due_on))
    return found


@cache
def _live_holds_statement(column_name: str, excluding: bool):
    """``_live_holds``' statement, built once per column and kind."""
    column = getattr(CapacityHold, column_name)
    stmt = select(column, CapacityHold.quantity, CapacityHold.due_on).where(
        column.in_(bindparam("ids", expanding=True)),
        CapacityHold.released_at.is_(None),
        CapacityHold.expires_at > bindparam("now"),
    )
    if excluding:
        quote_id = bindparam("exclude_quote_id")
        stmt = stmt.where(or_(CapacityHold.quote_id.is_(None), CapacityHold.quote_id != quote_id))
    return stmt


def promises_on(
    product_ids: Iterable[int], today: dt.date, exclude_quote_id: int | None = None
) -> dict[int, list[Promise]]:
    """Everything promised of each product: institutions' holds and shop orders' days."""
    found = hold_promises(product_ids, exclude_quote_id)
    for product_id, promises in order_promises(found, today).items():
        found[product_id].extend(promises)
    return found


def place_hold(
    product_id: int,
    quote_id: int,
    quantity: int,
    due_on: dt.date,
    expires_at: dt.datetime,
    *,
    variant_id: int | None = None,
) -> None:
    """Promise ``quantity`` of the product (of its option ``variant_id``, if named) to a
    quote until ``expires_at``; an option's hold counts against the product too."""
    db.session.add(
        CapacityHold(
            product_id=product_id,
            variant_id=variant_id,
            quote_id=quote_id,
            quantity=quantity,
            due_on=due_on,
            expires_at=expires_at,
        )
    )
    db.session.flush()
    bump_catalog_version()


def extend_holds(quote_id: int, expires_at: dt.datetime) -> None:
    """Keep a quote's live holds until ``expires_at`` (its delivery date, once approved)."""
    db.session.execute(
        update(CapacityHold)
        .where(CapacityHold.quote_id == quote_id, CapacityHold.released_at.is_(None))
        .values(expires_at=expires_at)
    )
    bump_catalog_version()


def release_holds(quote_id: int, product_ids: Iterable[int] | None = None) -> int:
    """Give back what the quote held (of these products only, if named); how many holds."""
    stmt = update(CapacityHold).where(
        CapacityHold.quote_id == quote_id, CapacityHold.released_at.is_(None)
    )
    if product_ids is not None:
        stmt = stmt.where(CapacityHold.product_id.in_(list(product_ids)))
    released = db.session.execute(stmt.values(released_at=now_utc())).rowcount
    if released:
        bump_catalog_version()
    return released


def release_expired_holds() -> int:
    """Mark holds whose end has passed as released (they have stopped counting already)."""
    now = now_utc()
    result = db.session.execute(
        update(CapacityHold)
        .where(CapacityHold.released_at.is_(None), CapacityHold.expires_at <= now)
        .values(released_at=now)
    )
    return result.rowcount


def promises_and_closures(
    product_ids: Iterable[int],
    seller_ids: Iterable[int],
    today: dt.date,
    exclude_quote_id: int | None = None,
) -> tuple[dict[int, list[Promise]], dict[int, tuple[Closure, ...]]]:
    """``promises_on`` the products and ``closures_of`` their households, in one statement:
    the three reads' own statements (their conditions unchanged) run as one union."""
    product_ids = list(product_ids)
    promises: dict[int, list[Promise]] = {key: [] for key in product_ids}
    found: dict[int, list[Closure]] = defaultdict(list)
    if not product_ids:
        return promises, {}
    values = {
        "ids": product_ids,
        "product_ids": product_ids,
        "seller_ids": list(set(seller_ids)),
        "today": today,
        "now": now_utc(),
    }
    if exclude_quote_id is not None:
        values["exclude_quote_id"] = exclude_quote_id
    rows = read_rows(_promises_and_closures_statement(exclude_quote_id is not None), values)
    for kind, key, units, on_day, until, message in rows.all():
        if kind == _HOLD:
            promises[key].append(Promise(units, on_day))
        elif kind == _PRODUCTION:
            promises[key].append(_made_on(on_day, units))
        else:
            found[key].append(Closure(on_day, until, message))
    return promises, {seller_id: tuple(closures) for seller_id, closures in found.items()}


_HOLD, _PRODUCTION, _CLOSURE = 1, 2, 3


@cache
def _promises_and_closures_statement(excluding: bool):
    """``promises_and_closures``' statement: ``_live_holds_statement``,
    ``_order_promises_statement`` and ``_closures_statement`` (their conditions as they
    are) with the same columns, built once per kind; closures by their first day."""
    no_day, no_text = cast(null(), Date), cast(null(), String)
    columns = ("kind", "key", "units", "on_day", "until", "message")

    def labelled(*selected):
        return [column.label(name) for column, name in zip(selected, columns, strict=True)]

    holds = _live_holds_statement("product_id", excluding).with_only_columns(
        *labelled(
            literal(_HOLD, Integer),
            CapacityHold.product_id,
            CapacityHold.quantity,
            CapacityHold.due_on,
            no_day,
            no_text,
        )
    )
    production = _order_promises_statement().with_only_columns(
        *labelled(
            literal(_PRODUCTION, Integer),
            ProductionDay.product_id,
            ProductionDay.units_taken,
            ProductionDay.day,
            no_day,
            no_text,
        )
    )
    closures = (
        _closures_statement()
        .order_by(None)
        .with_only_columns(
            *labelled(
                literal(_CLOSURE, Integer),
                ShopClosure.seller_id,
                cast(null(), Integer),
                ShopClosure.starts_on,
                ShopClosure.ends_on,
                ShopClosure.message,
            )
        )
    )
    union = union_all(holds, production, closures)
    return union.order_by(union.selected_columns.kind, union.selected_columns.on_day)


# -- holiday mode (a household closes its shop for some days) ------------------------------


def closures_of(seller_ids: Iterable[int], today: dt.date) -> dict[int, tuple[Closure, ...]]:
    """Each household's closures not yet over (nor cancelled), in one query (of the
    columns a closure is made of: no objects)."""
    found: dict[int, list[Closure]] = defaultdict(list)
    values = {"seller_ids": list(set(seller_ids)), "today": today}
    rows = read_rows(_closures_statement(), values).all()  # fetched at once
    for seller_id, starts_on, ends_on, message in rows:
        found[seller_id].append(Closure(starts_on, ends_on, message))
    return {seller_id: tuple(closures) for seller_id, closures in found.items()}


def has_closures(seller_id: ColumnElement[int], today) -> ColumnElement[bool]:
    """Whether the household ``seller_id`` (a column) has closures ``closures_of`` would
    read on ``today``: a value a statement reading households can carry, so that only
    those away, or about to be, are asked for theirs."""
    return exists().where(ShopClosure.seller_id == seller_id, *not_over(today))


@cache
def _closures_statement():
    """``closures_of``' statement, built once (every page that sells asks it)."""
    return (
        select(
            ShopClosure.seller_id, ShopClosure.starts_on, ShopClosure.ends_on, ShopClosure.message
        )
        .where(
            ShopClosure.seller_id.in_(bindparam("seller_ids", expanding=True)),
            *not_over(bindparam("today")),
        )
        .order_by(ShopClosure.starts_on)
    )


def shop_closure_on(seller_id: int, today: dt.date) -> Closure | None:
    """The closure the household is away on today, if any."""
    closures = closures_of([seller_id], today).get(seller_id, ())
    return closure_on(Supply(stock=0, closures=closures), today)


def sale_closure_of(product: Product, today: dt.date) -> Closure | None:
    """The closure that stops the product being bought today, if any."""
    closures = closures_of([product.seller_id], today).get(product.seller_id, ())
    return closed_for_sale(supply_of(product, closures), today)
