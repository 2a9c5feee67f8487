"""Units of work that the boundaries (views, commands, webhook handler) begin and commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from marketplace.db import db, write_transaction
from marketplace.orders import services


@contextmanager
def unit_of_work() -> Iterator[None]:
    """End the request's read transaction, so the next one begins as a writer (SQLite)."""
    db.session.rollback()
    with write_transaction():
        yield


def release_expired_orders() -> int:
    """Expire every unpaid order past its time, each in its own transaction.

    One order per transaction keeps every transaction's row locks in one order
    (products by id): a transaction that released several orders' stock could
    deadlock with a checkout taking the same products.
    """
    released = 0
    for order_id in services.due_order_ids():
        with unit_of_work():
            released += services.expire_order(order_id)
            db.session.commit()
    return released
