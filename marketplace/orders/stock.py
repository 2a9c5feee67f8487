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


def _stock_needs(order: Order) -> tuple[dict[int, int], dict[tuple[int, dt.date], int]]:
    """Units per product (stock) and per product and production day (made to order)."""
    return _needs_of_parts(order.parts)


def _needs_of_parts(
    parts: list[OrderPart],
) -> tuple[dict[int, int], dict[tuple[int, dt.date], int]]:
    per_product: dict[int, int] = defaultdict(int)
    per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    for part in parts:
        for line in part.lines:
            if line.product_id is None:
                continue
            if line.production_day is not None:
                per_day[(line.product_id, line.production_day)] += line.quantity
            else:
                per_product[line.product_id] += line.quantity
    return per_product, per_day


def _product_name(order: Order, product_id: int) -> str:
    for part in order.parts:
        for line in part.lines:
            if line.product_id == product_id:
                return line.product_name
    return ""


def take_order_stock(order: Order) -> None:
    """One conditional UPDATE per product; the row count says whether the units were there."""
    per_product, per_day = _stock_needs(order)
    today = today_local()
    # Ascending product ids over both kinds, as holds lock them: no two writers ever wait
    # on each other's product rows in opposite order.
    needs = [(product_id, None, units) for product_id, units in per_product.items()]
    needs += [(product_id, day, units) for (product_id, day), units in per_day.items()]
    for product_id, day, units in sorted(needs, key=lambda need: (need[0], need[1] or today)):
        if day is not None:
            if not take_production(product_id, day, units, today):
                raise SoldOut(
                    _l(
                        "Maaf, %(shop)s tidak bisa membuat %(name)s sebanyak itu untuk "
                        "%(date)s. Kurangi jumlahnya di keranjang.",
                        shop=_shop_name(order, product_id),
                        name=_product_name(order, product_id),
                        date=format_date(day, "d MMMM"),
                    )
                )
            continue
        if not take_stock(product_id, units):
            raise SoldOut(
                _l(
                    "Maaf, stok %(name)s tidak cukup lagi. Ubah jumlahnya di keranjang.",
                    name=_product_name(order, product_id),
                )
            )
    db.session.expire_all()


def _shop_name(order: Order, product_id: int) -> str:
    for part in order.parts:
        if any(line.product_id == product_id for line in part.lines):
            return part.shop_name
    return ""


def give_back_part_stock(part: OrderPart) -> None:
    """The one way a cancelled part's stock (or made-to-order capacity) goes back."""
    _give_back(*_needs_of_parts([part]))
    db.session.flush()


def give_back_order_stock(order: Order) -> None:
    _give_back(*_stock_needs(order))


def _give_back(per_product: dict[int, int], per_day: dict[tuple[int, dt.date], int]) -> None:
    for product_id, units in sorted(per_product.items()):
        give_back_stock(product_id, units)
    for (product_id, day), units in sorted(per_day.items()):
        give_back_production(product_id, day, units)
