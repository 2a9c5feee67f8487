"""A buyer cancelling a part while an admin partly refunds the same part: real threads on
the real database (SQLite and PostgreSQL), never more back than the part's share.

Both requests are held just before they write their refund until the other one gets
there too (or for a few seconds, when the other is waiting on a lock). Without a
shared lock both would arrive having read "nothing given back yet" and together give
back more than the share; with it, the second reads what the first gave back.
"""

from __future__ import annotations

import threading
from contextlib import suppress

import pytest
from sqlalchemy import event

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.money import payments as services
from marketplace.orders.models import Order, OrderPart, PartStatus
from tests import factories
from tests.orders.test_concurrency import committed, run_together  # noqa: F401
from tests.payments.test_admin_refunds import assert_ledger_balanced

#: how long the first request waits at the refund for the other (which, with the lock,
#: is waiting for the first one's commit and never comes); below SQLite's busy_timeout
#: (5 s), which the other waits at its BEGIN IMMEDIATE, and PostgreSQL's lock_timeout
#: (DATABASE_LOCK_TIMEOUT, 3 s), past which the waiting one would get the 503 page
RENDEZVOUS_SECONDS = 1.5


@pytest.fixture
def held_at_refund_insert(app):
    """Hold each of two threads at its INSERT INTO refunds until both are there."""
    barrier = threading.Barrier(2)

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO REFUNDS"):
            # Broken: the other request is waiting for this one's lock.
            with suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=RENDEZVOUS_SECONDS)

    event.listen(db.engine, "before_cursor_execute", before)
    yield
    event.remove(db.engine, "before_cursor_execute", before)


def test_a_buyer_cancel_racing_an_admin_partial_refund_gives_back_the_share_once(
    app,
    committed,  # noqa: F811
    payment_gateway,
    held_at_refund_insert,
):
    admin = factories.make_user(roles=[Role.ADMIN, Role.SELLER])
    mine, other = factories.make_seller(user=admin), factories.make_seller()
    committed.extend([mine, other])
    order = factories.make_paid_order(
        (factories.make_product(seller=mine, stock=5, price=80000), 1),
        (factories.make_product(seller=other, stock=5, price=60000), 1),
    )
    db.session.commit()
    part = next(part for part in order.parts if part.seller_id == mine.id)
    order_id, part_id, token = order.id, part.id, order.access_token
    share = part.items_amount + part.shipping_amount
    product_id = part.lines[0].product_id
    buyer, staff = app.test_client(), app.test_client()
    with staff.session_transaction() as session:
        session["_user_id"] = admin.session_token
    partial = {
        "action": "partial",
        "part_id": str(part_id),
        "amount": str(share // 2),
        "refund_key": "race-1",
        "reason": "Kemasan penyok",
    }

    def act(i):
        if i == 0:
            return buyer.post(f"/pesanan/{token}/batal/{part_id}").status_code
        return staff.post(f"/admin/pesanan/{order_id}", data=partial).status_code

    statuses = run_together(2, act)
    db.session.rollback()  # end this session's snapshot, taken before the race
    assert statuses[0] == 303 and statuses[1] in (303, 400)
    given = [r for r in services.refunds_of(order_id) if r.part_id == part_id]
    # Whoever came first, the part's share is given back exactly, never more.
    assert sum(r.amount for r in given) == share
    assert len(given) == (2 if statuses[1] == 303 else 1)
    assert db.session.get(OrderPart, part_id).status == PartStatus.CANCELLED.value
    assert db.session.get(Product, product_id).stock == 5
    assert_ledger_balanced(db.session.get(Order, order_id))
