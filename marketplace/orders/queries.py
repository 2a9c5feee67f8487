"""Reading orders: one order by its buyer's link, a buyer's orders, the status a buyer reads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.catalog.models import Seller
from marketplace.db import db, now_utc
from marketplace.errors import NotFound
from marketplace.orders.lifecycle import (
    expire_order,
)
from marketplace.orders.models import (
    Order,
    OrderPart,
    OrderStatus,
)


def order_query():
    return select(Order).options(
        selectinload(Order.parts).selectinload(OrderPart.lines),
        selectinload(Order.parts).joinedload(OrderPart.seller).joinedload(Seller.region),
        selectinload(Order.events),
    )


def get_order_by_token(token: str) -> Order:
    """The order behind a private link; expired lazily when its time is up."""
    order = db.session.scalar(order_query().where(Order.access_token == token))
    if order is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    if order.status == OrderStatus.AWAITING_PAYMENT.value and order.expires_at <= now_utc():
        expire_order(order.id)
    return order


#: what the buyer is shown for a paid order whose every part was cancelled or given back
#: (a label, not an order status: the order's own status stays "paid")
REFUNDED_IN_FULL = "refunded_in_full"


def shown_status(order: Order, refunded_amount: int) -> str:
    """The status the buyer reads: "refunded in full" once the parts' refunds (pending
    ones too) add up to all that was paid, else the order's own status."""
    if order.status == OrderStatus.PAID.value and refunded_amount >= order.total_amount:
        return REFUNDED_IN_FULL
    return order.status


def list_buyer_orders(user_id: int, limit: int = 50) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.buyer_id == user_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
