"""No oversell and no double order under real concurrency, on SQLite and on PostgreSQL.

These tests leave the per-test rolled-back transaction: each thread's request gets
its own session and connection, as under a real server, so the data they race for
is committed first and deleted afterwards. On PostgreSQL the conditional UPDATE is
what holds the line (without it this test meets the CHECK constraint); on SQLite the
checkout's BEGIN IMMEDIATE also serialises the writers.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.inventory.models import ProductionDay
from marketplace.money.models import LedgerEntry, Payment, Refund
from marketplace.orders.inbox import move_part_for_seller
from marketplace.orders.models import Order, OrderEvent, OrderLine, OrderPart
from marketplace.payments.models import WebhookEvent
from marketplace.reviews.models import Review
from tests import factories
from tests.cleanup import committing_session, forget_ledger_entries, purge_messages_about
from tests.racing import race

BUYERS = 50
UNITS = 10


@pytest.fixture
def committed(app):
    """Swap in a real session for this test; delete what it committed afterwards."""
    sellers = []
    with committing_session(lambda: [_purge(seller) for seller in sellers]):
        yield sellers


def _purge(seller) -> None:
    order_ids = select(OrderPart.order_id).where(OrderPart.seller_id == seller.id)
    part_ids = select(OrderPart.id).where(OrderPart.order_id.in_(order_ids))
    orders = list(db.session.scalars(order_ids))
    purge_messages_about(db.session, [db.session.get(Order, order_id) for order_id in orders])
    db.session.execute(delete(OrderEvent).where(OrderEvent.order_id.in_(orders)))
    db.session.execute(delete(Review).where(Review.order_id.in_(orders)))
    db.session.execute(delete(OrderLine).where(OrderLine.part_id.in_(part_ids)))
    forget_ledger_entries(db.session, LedgerEntry.order_part_id.in_(part_ids))
    payments = select(Payment.id).where(Payment.order_id.in_(orders))
    db.session.execute(delete(Refund).where(Refund.payment_id.in_(payments)))
    db.session.execute(delete(Payment).where(Payment.order_id.in_(orders)))
    db.session.execute(delete(OrderPart).where(OrderPart.order_id.in_(orders)))
    db.session.execute(delete(Order).where(Order.id.in_(orders)))
    products = select(Product.id).where(Product.seller_id == seller.id)
    db.session.execute(delete(ProductionDay).where(ProductionDay.product_id.in_(products)))
    for product in db.session.scalars(select(Product).where(Product.seller_id == seller.id)):
        db.session.delete(product)
    db.session.flush()
    user = seller.user
    db.session.delete(seller)
    db.session.flush()
    db.session.delete(user)


def checkout_form(key: str | None = None) -> dict:
    form = vars(factories.checkout_details())
    if key:
        form["checkout_key"] = key
    return form


def run_together(count: int, work):
    """Start ``count`` calls of ``work(i)`` at the same moment; return their results."""
    barrier = threading.Barrier(count)

    def start(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


@pytest.mark.parametrize("made_to_order", [False, True], ids=["stock", "daily-capacity"])
def test_fifty_buyers_for_ten_units_never_oversell(app, committed, monkeypatch, made_to_order):
    seller = factories.make_seller()
    committed.append(seller)
    product = factories.make_product(seller=seller, stock=0 if made_to_order else UNITS)
    if made_to_order:
        product.is_made_to_order, product.daily_capacity, product.lead_time_days = True, UNITS, 2
    db.session.commit()
    product_id = product.id

    clients = [app.test_client() for _ in range(BUYERS)]
    for client in clients:
        client.post("/keranjang/tambah", data={"product_id": product_id, "quantity": "1"})

    def buy(i):
        response = clients[i].post("/checkout", data=checkout_form())
        return response.status_code, response.get_data(as_text=True)

    results = run_together(BUYERS, buy)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(303) == UNITS
    assert statuses.count(409) == BUYERS - UNITS
    sold_out = "tidak bisa membuat" if made_to_order else "tidak cukup"
    assert all(sold_out in body for status, body in results if status == 409)

    db.session.rollback()  # end this session's snapshot, taken before the race
    assert db.session.get(Product, product_id).stock == 0
    if made_to_order:
        [day] = db.session.scalars(
            select(ProductionDay).where(ProductionDay.product_id == product_id)
        )
        assert (day.units_taken, day.units_capacity) == (UNITS, UNITS)
        assert day.day >= today_local() + dt.timedelta(days=2)
    sold = db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
            OrderLine.product_id == product_id
        )
    )
    assert sold == UNITS


def test_ten_parallel_submits_of_one_cart_make_one_order(app, committed):
    seller = factories.make_seller()
    committed.append(seller)
    product = factories.make_product(seller=seller, stock=UNITS)
    db.session.commit()
    product_id = product.id

    first = app.test_client()
    first.post("/keranjang/tambah", data={"product_id": product_id, "quantity": "2"})
    first.get("/checkout")
    with first.session_transaction() as session:
        cart, key = dict(session["cart"]), session["checkout_key"]
    clients = [app.test_client() for _ in range(10)]
    for client in clients:
        with client.session_transaction() as session:
            session["cart"], session["checkout_key"] = cart, key

    def submit(i):
        response = clients[i].post("/checkout", data=checkout_form(key))
        return response.status_code, response.headers.get("Location")

    results = run_together(10, submit)
    assert {status for status, _ in results} == {303}
    assert len({location for _, location in results}) == 1
    db.session.rollback()  # end this session's snapshot, taken before the race
    orders = select(func.count()).select_from(Order).where(Order.checkout_key == key)
    assert db.session.scalar(orders) == 1
    assert db.session.get(Product, product_id).stock == UNITS - 2


def test_the_same_webhook_five_times_at_once_moves_the_order_once(app, committed):
    from marketplace.money.payments import open_payment
    from marketplace.payments.gateway import get_gateway

    seller = factories.make_seller()
    committed.append(seller)
    order = factories.make_order((factories.make_product(seller=seller, stock=3), 1))
    gateway = get_gateway()
    payment = open_payment(order.id, gateway)
    db.session.commit()
    order_id = order.id
    intent = gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=order_id, succeed=True
    )
    body, signature = gateway.signed_event("payment_intent.succeeded", intent)

    def deliver(i):
        response = app.test_client().post(
            "/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
        )
        return response.status_code, response.get_data(as_text=True)

    results = run_together(5, deliver)
    assert sorted(results) == [(200, "duplicate")] * 4 + [(200, "ok")]
    db.session.rollback()
    moves = db.session.scalars(
        select(OrderEvent.to_status)
        .where(OrderEvent.order_id == order_id, OrderEvent.part_id.is_(None))
        .order_by(OrderEvent.id)
    ).all()
    # the committed event goes before the assertion, so a failure here leaves nothing behind
    db.session.execute(delete(WebhookEvent).where(WebhookEvent.event_id == json.loads(body)["id"]))
    db.session.commit()
    assert moves == ["awaiting_payment", "paid"]


# -- a household's part moved twice at once: one move, the other told ----------------------


def _paid_part(stock: int = 5):
    """A paid order of one unit from a household of its own, committed; (order, part, seller)."""
    seller = factories.make_seller()
    order = factories.make_paid_order((factories.make_product(seller=seller, stock=stock), 1))
    db.session.commit()
    return order, order.parts[0], seller


def _seller_move(seller, part, action: str) -> tuple:
    form = {"action": action, "courier": "JNE", "tracking_number": "JNE0001"}
    return (seller.user, f"/penjual/pesanan/{part.id}", form)


def _buyer_cancel(order, part) -> tuple:
    return (None, f"/pesanan/{order.access_token}/batal/{part.id}", {})


def _moves(part_id: int, to_status: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.part_id == part_id, OrderEvent.to_status == to_status)
    )


@pytest.mark.parametrize(
    ("before", "action", "to"),
    [
        ([], "accept", "accepted"),
        (["accept"], "ship", "shipped"),
        (["accept", "ship"], "delivered", "delivered"),
    ],
)
def test_a_household_pressing_twice_at_once_moves_its_part_once(
    app,
    real_commits,
    before,
    action,
    to,
):
    order, part, seller = _paid_part()
    for step in before:
        move_part_for_seller(
            part.id,
            seller.id,
            step,
            actor_id=seller.user_id,
            courier="JNE",
            tracking_number="JNE0001",
        )
    db.session.commit()

    answers = race(app, _seller_move(seller, part, action), _seller_move(seller, part, action))

    assert sorted(answer.status for answer in answers) == [303, 409]
    told = next(answer for answer in answers if answer.status == 409)
    assert "Status pesanan sudah berubah. Muat ulang halaman." in told.body
    assert db.session.get(OrderPart, part.id).status == to and _moves(part.id, to) == 1


def test_shipping_and_the_buyers_cancel_at_once_one_wins(app, real_commits):
    order, part, seller = _paid_part(stock=5)
    move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    db.session.commit()
    product_id = part.lines[0].product_id

    shipped, cancelled = race(app, _seller_move(seller, part, "ship"), _buyer_cancel(order, part))

    status = db.session.get(OrderPart, part.id).status
    stock = db.session.get(Product, product_id).stock
    refunds = db.session.scalar(
        select(func.count()).select_from(Refund).join(Payment).where(Payment.order_id == order.id)
    )
    if status == "shipped":
        assert shipped.status == 303
        assert cancelled.flashes == (
            ("error", "Bagian ini sudah dikirim atau selesai, jadi tidak bisa dibatalkan."),
        )
        assert (stock, refunds) == (4, 0)
    else:
        assert status == "cancelled" and shipped.status == 409
        assert "Status pesanan sudah berubah. Muat ulang halaman." in shipped.body
        assert cancelled.flashes[0][0] == "success"
        assert (stock, refunds) == (5, 1)  # the unit back once, the money back once


def test_the_buyer_cancelling_twice_at_once_cancels_and_refunds_once(app, real_commits):
    order, part, _seller = _paid_part(stock=5)
    product_id = part.lines[0].product_id

    answers = race(app, _buyer_cancel(order, part), _buyer_cancel(order, part))

    assert [answer.status for answer in answers] == [303, 303]
    assert sorted(answer.flashes[0][1] for answer in answers) == [
        "Bagian ini sudah dibatalkan.",
        "Bagian pesanan dibatalkan. Dananya dikembalikan ke pembayaran Anda.",
    ]
    refunds = db.session.scalar(
        select(func.count()).select_from(Refund).join(Payment).where(Payment.order_id == order.id)
    )
    assert _moves(part.id, "cancelled") == 1 and refunds == 1
    assert db.session.get(Product, product_id).stock == 5


def test_two_admins_cancelling_one_part_at_once_cancel_it_once(app, real_commits):
    order, part, _seller = _paid_part(stock=5)
    admins = [factories.make_user(roles=[Role.ADMIN]) for _ in range(2)]
    db.session.commit()
    path = f"/admin/pesanan/{order.id}"
    forms = [
        {"action": "cancel_part", "part_id": str(part.id), "reason": "Stok habis", "refund_key": k}
        for k in ("admin-one", "admin-two")
    ]

    answers = race(app, *[(admin, path, form) for admin, form in zip(admins, forms, strict=True)])

    assert [answer.status for answer in answers] == [303, 303]
    flashed = [answer.flashes[0][1] for answer in answers]
    assert flashed.count("Dana Rp35.000 dikembalikan.") == 1
    # The second finds the part cancelled and its money given back (or, this order having
    # no other part, the whole payment given back), whichever it checks first.
    (told,) = set(flashed) - {"Dana Rp35.000 dikembalikan."}
    assert told in (
        "Bagian ini sudah dibatalkan dan dananya dikembalikan.",
        "Pembayaran pesanan ini sudah dikembalikan seluruhnya.",
    )
    refunds = db.session.scalar(
        select(func.count()).select_from(Refund).join(Payment).where(Payment.order_id == order.id)
    )
    assert _moves(part.id, "cancelled") == 1 and refunds == 1
    assert db.session.get(Product, product_id := part.lines[0].product_id).stock == 5, product_id
