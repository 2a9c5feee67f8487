"""Admins give money back: a whole part (cancelled, stock back), a whole order, or part
of a household's share with a reason; once per click, never more than is left."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from marketplace.money import payments as services
from marketplace.money import services as payouts
from marketplace.money.models import LedgerEntry, Payment, PaymentStatus
from marketplace.orders import inbox as order_inbox
from marketplace.orders.models import OrderEvent, OrderPart
from tests import factories
from tests.orders.test_concurrency import committed, run_together  # noqa: F401


@pytest.fixture
def paid(payment_gateway):
    order = factories.make_order(
        (factories.make_product(price=100000, stock=5), 1),
        (factories.make_product(price=50000, stock=5), 1),
    )
    payment = services.open_payment(order.id, payment_gateway)
    services.record_intent(
        payment_gateway.complete(
            payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
        )
    )
    db.session.commit()
    return order, payment


def refund(client, order, amount, part=None, key="form-1", reason="Kemasan penyok"):
    data = {
        "action": "partial",
        "amount": amount,
        "refund_key": key,
        "part_id": part.id if part else "",
        "reason": reason,
    }
    return client.post(f"/admin/pesanan/{order.id}", data=data)


def cancel(client, order, part, reason="Paket hilang"):
    data = {"action": "cancel_part", "part_id": part.id, "reason": reason}
    return client.post(f"/admin/pesanan/{order.id}", data=data)


def refund_all(client, order, key="order-1", reason="Pembeli komplain"):
    data = {"action": "refund_order", "refund_key": key, "reason": reason}
    return client.post(f"/admin/pesanan/{order.id}", data=data)


def stock(line) -> int:
    db.session.expire_all()
    return db.session.get(Product, line.product_id).stock


def assert_ledger_balanced(order) -> None:
    """Every event sums to zero; no household holds more than its parts' shares minus refunds
    and no balance is below zero."""
    part_ids = [part.id for part in order.parts]
    events = db.session.execute(
        select(LedgerEntry.event_key, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.order_part_id.in_(part_ids))
        .group_by(LedgerEntry.event_key)
    ).all()
    assert events and all(int(total) == 0 for _, total in events)
    for part in order.parts:
        balances = payouts.balances_of(part.seller_id)
        assert balances.pending >= 0 and balances.available >= 0
        given = services.refunds_of(order.id)
        back = sum(r.amount for r in given if r.part_id == part.id)
        share = part.items_amount + part.shipping_amount
        commission, _ = payouts.commission_split(part.items_amount, part.commission_rate_bp)
        assert balances.pending + balances.available <= share - commission
        if back == share:
            assert balances.pending + balances.available == 0


def test_an_admin_refunds_part_of_one_households_share(
    client, login_as, paid, payment_gateway, inbox
):
    order, payment = paid
    login_as(Role.ADMIN)
    part = order.parts[0]
    before = stock(part.lines[0])
    assert refund(client, order, "Rp 25.000", part).status_code == 303
    [done] = services.refunds_of(order.id)
    assert (done.amount, done.part_id, done.reason, done.status) == (
        25000,
        part.id,
        "admin",
        "succeeded",
    )
    assert done.created_by_id is not None
    # a partial refund leaves the payment standing, the part and its stock as they were
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED.value
    assert db.session.get(OrderPart, part.id).status == "new" and stock(part.lines[0]) == before
    page = client.get(f"/admin/pesanan/{order.id}").get_data(as_text=True)
    assert "Rp25.000" in page and "re_test_" in page and "Kemasan penyok" in page
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.to_status == "refund"))
    assert (event.part_id, event.actor_kind) == (part.id, "admin")
    assert event.note == "Rp25.000: Kemasan penyok"
    assert_ledger_balanced(order)
    run_pending_jobs()
    [mail] = [m for m in inbox.messages if "dikembalikan" in m["Subject"]]
    body = mail.get_payload(decode=True).decode()
    assert "Rp25.000" in body and "Alasan: Kemasan penyok" in body


def test_the_same_form_twice_refunds_once(client, login_as, paid, payment_gateway):
    order, _ = paid
    login_as(Role.ADMIN)
    refund(client, order, "10000", order.parts[0], key="same")
    second = refund(client, order, "10000", order.parts[0], key="same")
    assert second.status_code == 303
    assert len(services.refunds_of(order.id)) == 1 and len(payment_gateway.refunds) == 1


@pytest.mark.parametrize("amount", ["0", "", "abc", "-5"])
def test_bad_amounts_are_refused(client, login_as, paid, amount):
    order, _ = paid
    login_as(Role.ADMIN)
    assert refund(client, order, amount, order.parts[0]).status_code == 400
    assert services.refunds_of(order.id) == []


def test_a_partial_refund_needs_a_part_and_a_reason(client, login_as, paid):
    order, _ = paid
    login_as(Role.ADMIN)
    response = refund(client, order, "5000", order.parts[0], reason="  ")
    assert response.status_code == 400 and "Tulis alasan" in response.get_data(as_text=True)
    assert 'value="5000"' in response.get_data(as_text=True)
    assert refund(client, order, "5000", None).status_code == 400
    long = refund(client, order, "5000", order.parts[0], reason="x" * 300)
    assert long.status_code == 400 and "x" * 250 in long.get_data(as_text=True)
    assert services.refunds_of(order.id) == []


@pytest.mark.parametrize("action", ["x", "", "PARTIAL", "cancel_order"])
def test_an_action_the_form_does_not_have_moves_no_money(client, login_as, paid, action):
    order, _ = paid
    login_as(Role.ADMIN)
    data = {"action": action, "amount": "5000", "part_id": order.parts[0].id, "reason": "Uji"}
    assert client.post(f"/admin/pesanan/{order.id}", data=data).status_code == 400
    assert services.refunds_of(order.id) == []


def test_no_more_than_what_is_left_of_a_share(client, login_as, paid):
    order, payment = paid
    login_as(Role.ADMIN)
    part = order.parts[0]
    share = part.items_amount + part.shipping_amount
    assert refund(client, order, str(share - 1000), part, key="k1").status_code == 303
    response = refund(client, order, "1001", part, key="k2", reason="Sisa ongkir")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "melebihi" in page and "Rp1.000" in page
    # the form is kept as typed
    assert 'value="1001"' in page and "Sisa ongkir" in page
    assert refund(client, order, "1000", part, key="k3").status_code == 303
    assert sum(r.amount for r in services.refunds_of(order.id)) == share
    assert_ledger_balanced(order)


def test_cancelling_a_part_gives_back_its_money_and_stock_once(
    client, login_as, paid, payment_gateway, inbox
):
    order, payment = paid
    admin = login_as(Role.ADMIN)
    part, other = order.parts
    line = part.lines[0]
    before = stock(line)
    # some of the share went back already: the cancel gives back the rest
    assert refund(client, order, "20000", part).status_code == 303
    assert cancel(client, order, part).status_code == 303
    assert cancel(client, order, part).status_code == 303  # a second click
    db.session.expire_all()
    assert db.session.get(OrderPart, part.id).status == "cancelled"
    assert db.session.get(OrderPart, other.id).status == "new"
    assert stock(line) == before + line.quantity
    given = [r.amount for r in services.refunds_of(order.id) if r.part_id == part.id]
    assert sorted(given) == sorted([20000, part.items_amount + part.shipping_amount - 20000])
    assert len(payment_gateway.refunds) == 2
    cancelled = db.session.scalar(
        select(OrderEvent).where(OrderEvent.part_id == part.id, OrderEvent.to_status == "cancelled")
    )
    assert (cancelled.actor_kind, cancelled.actor_id, cancelled.note) == (
        "admin",
        admin.id,
        "Paket hilang",
    )
    assert_ledger_balanced(order)
    assert payouts.balances_of(part.seller_id) == payouts.Balances(0, 0, 0)
    run_pending_jobs()
    subjects = [m["Subject"] for m in inbox.messages]
    assert f"Bagian pesanan {order.number} dibatalkan" in subjects
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Paket hilang" in page and "Dibatalkan" in page


def test_a_shipped_part_can_be_cancelled_but_a_delivered_one_only_refunded(client, login_as, paid):
    order, _ = paid
    shipped, delivered = order.parts
    for part, steps in (
        (shipped, ["accept", "ship"]),
        (delivered, ["accept", "ship", "delivered"]),
    ):
        for step in steps:
            order_inbox.move_part_for_seller(
                part.id,
                part.seller_id,
                step,
                actor_id=part.seller.user_id,
                courier="JNE",
                tracking_number="JNE1",
            )
    db.session.commit()
    login_as(Role.ADMIN)
    response = cancel(client, order, delivered)
    assert response.status_code == 400 and "sudah sampai" in response.get_data(as_text=True)
    assert cancel(client, order, shipped).status_code == 303
    db.session.expire_all()
    assert db.session.get(OrderPart, shipped.id).status == "cancelled"
    assert db.session.get(OrderPart, delivered.id).status == "delivered"
    assert_ledger_balanced(order)


def test_refunding_a_whole_order(client, login_as, paid, payment_gateway, inbox):
    order, payment = paid
    new, delivered = order.parts
    for step in ("accept", "ship", "delivered"):
        order_inbox.move_part_for_seller(
            delivered.id,
            delivered.seller_id,
            step,
            actor_id=delivered.seller.user_id,
            courier="JNE",
            tracking_number="JNE1",
        )
    db.session.commit()
    stocks = {part.id: stock(part.lines[0]) for part in order.parts}
    assert payouts.balances_of(delivered.seller_id).available > 0
    login_as(Role.ADMIN)
    response = refund_all(client, order)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "hanya dananya yang dikembalikan" in page
    assert refund_all(client, order, key="order-2").status_code == 303  # nothing left: no refund
    db.session.expire_all()
    assert db.session.get(OrderPart, new.id).status == "cancelled"
    assert db.session.get(OrderPart, delivered.id).status == "delivered"
    assert stock(new.lines[0]) == stocks[new.id] + 1
    assert stock(delivered.lines[0]) == stocks[delivered.id]
    # The delivered part's shipping stays with its household: it paid the courier.
    refunded = sum(r.amount for r in services.refunds_of(order.id))
    assert refunded == payment.amount - delivered.shipping_amount
    assert delivered.shipping_amount > 0
    assert len(payment_gateway.refunds) == 2
    assert_ledger_balanced(order)
    assert payouts.balances_of(new.seller_id) == payouts.Balances(0, 0, 0)
    assert payouts.balances_of(delivered.seller_id) == payouts.Balances(
        0, delivered.shipping_amount, 0
    )
    run_pending_jobs()
    [mail] = [m for m in inbox.messages if "Dana pesanan" in m["Subject"]]
    assert "sudah sampai, jadi hanya dananya" in mail.get_payload(decode=True).decode()


def test_an_unpaid_order_has_nothing_to_refund(client, login_as):
    order = factories.make_order((factories.make_product(stock=5), 1))
    db.session.commit()
    login_as(Role.ADMIN)
    response = refund_all(client, order)
    assert response.status_code == 400 and "tidak punya pembayaran" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER, Role.REVIEWER, Role.OFFICER])
def test_only_admins(client, login_as, paid, role):
    order, _ = paid
    login_as(role)
    assert client.get("/admin/pesanan").status_code == 403
    assert refund(client, order, "1000", order.parts[0]).status_code == 403
    assert cancel(client, order, order.parts[0]).status_code == 403


@pytest.mark.parametrize("action", ["cancel_part", "refund_order"])
def test_four_clicks_at_once_refund_once(app, committed, payment_gateway, action):  # noqa: F811
    """Real threads, each with its own session and connection, on the committed order."""
    admin = factories.make_user(roles=[Role.ADMIN, Role.SELLER])
    seller = factories.make_seller(user=admin)
    other = factories.make_seller()
    committed.extend([seller, other])
    order = factories.make_paid_order(
        (factories.make_product(seller=seller, stock=5, price=40000), 2),
        (factories.make_product(seller=other, stock=5, price=30000), 1),
    )
    db.session.commit()
    order_id, part_id, product_id = order.id, order.parts[0].id, order.parts[0].lines[0].product_id
    amount = order.total_amount
    clients = [app.test_client() for _ in range(4)]
    for client in clients:
        with client.session_transaction() as session:
            session["_user_id"] = admin.session_token
    data = {"action": action, "part_id": str(part_id), "reason": "Dobel klik"}

    def click(i):
        form = dict(data, refund_key=f"tab-{i}")
        return clients[i].post(f"/admin/pesanan/{order_id}", data=form).status_code

    assert run_together(4, click) == [303] * 4
    db.session.rollback()  # end this session's snapshot, taken before the race
    given = services.refunds_of(order_id)
    if action == "cancel_part":
        part = db.session.get(OrderPart, part_id)
        assert [r.amount for r in given] == [part.items_amount + part.shipping_amount]
    else:
        assert sum(r.amount for r in given) == amount and len(given) == 2
    assert len(payment_gateway.refunds) == len(given)
    assert db.session.get(Product, product_id).stock == 5
    cancels = db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.part_id == part_id, OrderEvent.to_status == "cancelled")
    )
    assert cancels == 1
    assert_ledger_balanced(db.session.get(type(order), order_id))
