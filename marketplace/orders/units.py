"""Units of work that the boundaries (views, commands, webhook handler) begin and commit."""

from __future__ import annotations

from marketplace.db import db, unit_of_work
from marketplace.orders import lifecycle


def release_expired_orders() -> int:
    """Expire every unpaid order past its time, each in its own transaction.

    One order per transaction keeps every transaction's row locks in one order
    (products by id): a transaction that released several orders' stock could
    deadlock with a checkout taking the same products.
    """
    released = 0
    for order_id in lifecycle.due_order_ids():
        with unit_of_work():
            released += lifecycle.expire_order(order_id)
            db.session.commit()
    return released
