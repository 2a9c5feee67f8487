"""An order's units: taken from the inventory at checkout, given back when the order
expires or a part is cancelled."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.inventory.stock import (
    give_back_production,
    give_back_stock,
    take_production,
    take_stock,
)
from marketplace.orders.models import (
    Order,
    OrderPart,
)


class CheckoutError(MarketplaceError):
    pass


class SoldOut(CheckoutError):
    status_code = 409


#: units per (product, option) from stock, and per (product, day) made to order (the
#: options of a made-to-order product share its daily capacity)
StockNeeds = tuple[dict[tuple[int, int | None], int], dict[tuple[int, dt.date], int]]


def _stock_needs(order: Order) -> StockNeeds:
    """Units per product and option (stock) and per product and production day (made to
    order)."""
    return _needs_of_parts(order.parts)


def _needs_of_parts(parts: list[OrderPart]) -> StockNeeds:
    per_product: dict[tuple[int, int | None], int] = defaultdict(int)
    per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    for part in parts:
        for line in part.lines:
            if line.product_id is None:
                continue
            if line.production_day is not None:
                per_day[(line.product_id, line.production_day)] += line.quantity
            else:
                per_product[(line.product_id, line.variant_id)] += line.quantity
    return per_product, per_day


def _line_of(order: Order, product_id: int, variant_id: int | None = None):
    for part in order.parts:
        for line in part.lines:
            if line.product_id == product_id and (
                variant_id is None or line.variant_id == variant_id
            ):
                return part, line
    return None, None


def take_order_stock(order: Order) -> None:
    """One conditional UPDATE per product (and option); the row count says whether the
    units were there."""
    per_product, per_day = _stock_needs(order)
    today = today_local()
    # Ascending product ids over both kinds, as holds lock them: no two writers ever wait
    # on each other's product rows in opposite order.
    needs = [
        (product_id, variant_id, None, units)
        for (product_id, variant_id), units in per_product.items()
    ]
    needs += [(product_id, None, day, units) for (product_id, day), units in per_day.items()]
    for product_id, variant_id, day, units in sorted(
        needs, key=lambda need: (need[0], need[2] or today, need[1] or 0)
    ):
        part, line = _line_of(order, product_id, variant_id)
        name = line.full_name if line else ""
        if day is not None:
            if not take_production(product_id, day, units, today):
                raise SoldOut(
                    _l(
                        "Maaf, %(shop)s tidak bisa membuat %(name)s sebanyak itu untuk "
                        "%(date)s. Kurangi jumlahnya di keranjang.",
                        shop=part.shop_name if part else "",
                        name=name,
                        date=format_date(day, "d MMMM"),
                    )
                )
            continue
        if not take_stock(product_id, units, variant_id=variant_id):
            raise SoldOut(
                _l(
                    "Maaf, stok %(name)s tidak cukup lagi. Ubah jumlahnya di keranjang.",
                    name=name,
                )
            )
    db.session.expire_all()


def give_back_part_stock(part: OrderPart) -> None:
    """The one way a cancelled part's stock (or made-to-order capacity) goes back."""
    _give_back(*_needs_of_parts([part]))
    db.session.flush()


def give_back_order_stock(order: Order) -> None:
    _give_back(*_stock_needs(order))


def _give_back(
    per_product: dict[tuple[int, int | None], int], per_day: dict[tuple[int, dt.date], int]
) -> None:
    for (product_id, variant_id), units in sorted(
        per_product.items(), key=lambda item: (item[0][0], item[0][1] or 0)
    ):
        give_back_stock(product_id, units, variant_id)
    for (product_id, day), units in sorted(per_day.items()):
        give_back_production(product_id, day, units)
