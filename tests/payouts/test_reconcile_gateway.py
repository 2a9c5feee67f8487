"""Reconciliation of charges and refunds against Stripe, and refunds made in Stripe's dashboard.

Over real HTTP with the real ``stripe`` library against the tests' Stripe-compatible
server. A refund made in the dashboard is an API refund without our ``refund_key``: its
``refund.created`` / ``charge.refunded`` / ``refund.updated`` events record it once, split
between the household and the platform as the app's own refunds are. Then each kind of
difference is made and seen on the admin page and in ``flask payouts reconcile``.
"""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import delete, func, select, update

from marketplace.accounts.models import Role
from marketplace.db import db, now_utc, today_local
from marketplace.money import refunds
from marketplace.money.models import LedgerEntry, Payment, PaymentStatus, Refund, RefundStatus
from marketplace.money.payment_units import issue_refunds
from marketplace.money.payments import refunds_of
from marketplace.money.reconcile import default_days, period_of, reconcile
from marketplace.orders.inbox import move_part_for_seller
from marketplace.orders.models import OrderEvent
from marketplace.payments.connect import TestConnect
from marketplace.payments.gateway import Line
from marketplace.payments.stripe_gateway import StripeGateway
from tests import factories
from tests.stripe_server import WEBHOOK_SECRET


@pytest.fixture
def gateway(app, stripe_server, payment_gateway):
    """The app on Stripe (the test server), as with STRIPE_SECRET_KEY and STRIPE_API_BASE."""
    app.extensions["payment_gateway"] = stripe_gateway = StripeGateway(
        secret_key=stripe_server.secret_key,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe_server.url,
    )
    previous = app.extensions.get("connect_gateway")
    app.extensions["connect_gateway"] = TestConnect()
    yield stripe_gateway
    app.extensions["connect_gateway"] = previous


@pytest.fixture
def webhooks(stripe_server):
    return stripe_server.add_webhook_endpoint()


@pytest.fixture
def stripe_api(stripe_server):
    return stripe_server.client()


def deliver(client, webhooks, event_type: str) -> list[str]:
    """Pass Stripe's waiting deliveries of ``event_type`` to the app; their answers."""
    return [
        client.post("/stripe/webhook", data=body, headers=headers).get_data(as_text=True)
        for body, headers in webhooks.take(event_type)
    ]


def paid_on_stripe(client, stripe_server, webhooks, *lines):
    """An order the buyer paid on Stripe Checkout, its payment and its PaymentIntent id."""
    order = factories.make_order(*lines)
    db.session.commit()
    assert client.get(f"/pesanan/{order.access_token}/bayar").status_code == 303
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    stripe_server.pay(payment.intent_id)
    assert deliver(client, webhooks, "checkout.session.completed") == ["ok"]
    webhooks.take()
    session = stripe_server.client().v1.checkout.sessions.retrieve(payment.intent_id)
    db.session.expire_all()
    return order, payment, session.payment_intent


def ledger_of(rows: list[Refund]) -> dict[str, int]:
    """The ledger's reversal of refunds, summed per account."""
    sums = db.session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.event_key.in_([f"refund-{row.id}" for row in rows]))
        .group_by(LedgerEntry.account)
    )
    return {account: int(total) for account, total in sums}


def differences():
    db.session.expire_all()
    return sorted(
        (d.subject, d.note)
        for d in reconcile(
            period_of(*default_days(today_local())),
            gateway=current_app.extensions["payment_gateway"],
            connect=current_app.extensions["connect_gateway"],
        )
    )


def product(price: int = 150_000):
    return factories.make_product(price=price, stock=20)


def test_a_dashboard_refund_reaches_the_ledger_once_split_as_our_own(
    client, gateway, stripe_server, stripe_api, webhooks
):
    amplang = product()
    order, payment, intent = paid_on_stripe(client, stripe_server, webhooks, (amplang, 2))
    twin, twin_payment, _ = paid_on_stripe(client, stripe_server, webhooks, (amplang, 2))

    # An admin gives back Rp100.000 in Stripe's dashboard, not in the app.
    made = stripe_api.v1.refunds.create(params={"payment_intent": intent, "amount": 10_000_000})
    assert deliver(client, webhooks, "refund.created") == ["ok"]
    db.session.expire_all()
    [row] = refunds_of(order.id)
    assert (row.amount, row.status, row.part_id) == (100_000, "succeeded", order.parts[0].id)
    assert refunds.gateway_refund_id(row) == made.id
    notes = db.session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order.id))
    assert any(f"Dikembalikan di dasbor Stripe ({made.id})" in note for note in notes)

    # The app's own refund of the same amount on the twin order reverses the same legs.
    admin = factories.make_user(roles=[Role.ADMIN])
    own = refunds.refund_partly(
        twin.id,
        twin.parts[0].id,
        100_000,
        refund_key="twin",
        actor_id=admin.id,
        reason="Kemasan penyok",
    )
    db.session.commit()
    assert issue_refunds(own.refund_ids, gateway) == 1
    assert ledger_of([row]) == ledger_of(refunds_of(twin.id))
    assert ledger_of([row])["refunds"] == 100_000

    # Every echo changes nothing: the charge's event, an update, our own refund's events.
    assert deliver(client, webhooks, "charge.refunded") == ["ok", "ok"]
    stripe_api.v1.refunds.update(made.id, params={"metadata": {"catatan": "kemasan"}})
    assert deliver(client, webhooks, "refund.updated") == ["ok"]
    assert deliver(client, webhooks, "refund.created") == ["ok"]  # the twin's, ours
    db.session.expire_all()
    assert [r.id for r in refunds_of(order.id)] == [row.id]
    assert len(refunds_of(twin.id)) == 1
    assert differences() == []


def test_a_full_dashboard_refund_of_two_households_gives_each_what_is_left(
    client, gateway, stripe_server, stripe_api, webhooks
):
    order, payment, intent = paid_on_stripe(
        client, stripe_server, webhooks, (product(150_000), 2), (product(85_000), 1)
    )
    stripe_api.v1.refunds.create(params={"payment_intent": intent})
    [event] = webhooks.take("refund.created")
    webhooks.take()
    for _ in range(2):  # Stripe may deliver the same event twice
        client.post("/stripe/webhook", data=event[0], headers=event[1])
    db.session.expire_all()
    given = {row.part_id: row.amount for row in refunds_of(order.id)}
    assert given == {part.id: part.items_amount + part.shipping_amount for part in order.parts}
    assert db.session.get(Payment, payment.id).status == PaymentStatus.REFUNDED.value
    assert differences() == []


def test_each_kind_of_difference_is_listed_with_its_cause(
    app, client, login_as, gateway, stripe_server, stripe_api, webhooks
):
    amplang = product()
    # A charge nobody recorded: a Checkout Session opened and paid outside the app.
    outside = gateway.create_intent(
        amount=50_000,
        order_id=2_000_000,
        email="",
        idempotency_key="outside",
        lines=(Line("Amplang", 50_000),),
        success_url="http://127.0.0.1/",
        cancel_url="http://127.0.0.1/",
    )
    stripe_server.pay(outside.id)
    webhooks.take()
    unknown = stripe_api.v1.charges.list().data[0].id

    # A payment recorded as succeeded that Stripe never charged.
    ghost_order = factories.make_order((amplang, 1))
    db.session.add(
        Payment(
            order_id=ghost_order.id,
            gateway="stripe",
            intent_id="cs_test_ghost",
            idempotency_key="ghost",
            amount=ghost_order.total_amount,
            status=PaymentStatus.SUCCEEDED.value,
        )
    )
    db.session.commit()

    # A payment recorded for another amount than charged.
    _, changed, changed_intent = paid_on_stripe(client, stripe_server, webhooks, (amplang, 1))
    db.session.execute(update(Payment).where(Payment.id == changed.id).values(amount=1))
    changed_charge = stripe_api.v1.payment_intents.retrieve(changed_intent).latest_charge

    # A dashboard refund whose webhook never arrived.
    _, _, lost_intent = paid_on_stripe(client, stripe_server, webhooks, (amplang, 1))
    lost = stripe_api.v1.refunds.create(params={"payment_intent": lost_intent, "amount": 100_000})
    webhooks.take()

    # Our refunds: one fails at Stripe later, one is recorded for another amount, one
    # lost its ledger reversal, one Stripe never made.
    own = []
    for _ in range(3):
        order, payment, _intent = paid_on_stripe(client, stripe_server, webhooks, (amplang, 1))
        outcome = refunds.cancel_part(
            order.id, order.parts[0].id, actor_id=factories.make_user().id, reason=""
        )
        db.session.commit()
        issue_refunds(outcome.refund_ids, gateway)
        db.session.expire_all()
        own.append(db.session.get(Refund, outcome.refund_ids[0]))
    webhooks.take()
    failed, differs, unbooked = own
    stripe_server.control(f"refunds/{failed.gateway_refund_id}/fail")
    db.session.execute(update(Refund).where(Refund.id == differs.id).values(amount=1))
    db.session.execute(delete(LedgerEntry).where(LedgerEntry.event_key == f"refund-{unbooked.id}"))
    db.session.add(
        Refund(
            payment_id=payment.id,
            amount=1_000,
            reason="admin",
            status=RefundStatus.SUCCEEDED.value,
            idempotency_key="never-made",
            gateway_refund_id="re_ghost",
            refunded_at=now_utc(),
        )
    )
    db.session.commit()

    expected = [
        ("cs_test_ghost", "missing_charge"),
        (changed_charge, "charge_differs"),
        (differs.gateway_refund_id, "refund_differs"),
        (failed.gateway_refund_id, "refund_failed"),
        (lost.id, "unrecorded_refund"),
        ("re_ghost", "missing_refund"),
        (f"refund-{differs.id}", "refund_not_in_ledger"),
        (f"refund-{unbooked.id}", "refund_not_in_ledger"),
        (unknown, "unknown_charge"),
    ]
    assert differences() == sorted(expected)

    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    for cause in (
        "Tagihan di Stripe tidak ada di buku besar",
        "Pembayaran di buku besar tidak ada di Stripe",
        "Jumlah tagihan berbeda",
        "Pengembalian dana di Stripe belum tercatat",
        "Pengembalian dana di buku besar tidak ada di Stripe",
        "Jumlah pengembalian dana berbeda",
        "Pengembalian dana gagal atau dibatalkan di Stripe",
        "Pengembalian dana tidak membalik entri buku besar",
    ):
        assert cause in page
    assert f'<strong>{lost.id}</strong> · <span data-note="unrecorded_refund">' in page

    db.session.commit()
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1
    assert f"{len(expected)} difference(s)" in result.output
    assert f"{lost.id}: [unrecorded_refund] Pengembalian dana di Stripe belum tercatat" in (
        result.output
    )

    # Outside the period asked for, nothing of today is compared.
    result = app.test_cli_runner().invoke(
        args=["payouts", "reconcile", "--since", "2026-01-01", "--until", "2026-01-31"]
    )
    assert result.exit_code == 0 and "0 difference(s)" in result.output


def test_a_dashboard_refund_of_more_than_is_left_is_listed_not_booked(
    app, client, login_as, gateway, stripe_server, stripe_api, webhooks
):
    """Once shipped, the shipping is the household's (it paid the courier): a full refund
    in the dashboard gives back more than the app may take from the household."""
    amplang = product()
    order, payment, intent = paid_on_stripe(client, stripe_server, webhooks, (amplang, 2))
    part = order.parts[0]
    seller = part.seller
    move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    move_part_for_seller(
        part.id, seller.id, "ship", actor_id=seller.user_id, courier="JNE", tracking_number="J9"
    )
    db.session.commit()
    made = stripe_api.v1.refunds.create(params={"payment_intent": intent})
    assert deliver(client, webhooks, "refund.created") == ["ok"]
    webhooks.take()
    db.session.expire_all()
    assert refunds_of(order.id) == []
    assert differences() == [(made.id, "refund_exceeds_left")]

    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert f'<strong>{made.id}</strong> · <span data-note="refund_exceeds_left">' in page
    assert "melebihi sisa yang dapat dikembalikan" in page
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1 and f"{made.id}: [refund_exceeds_left]" in result.output
    assert f"(ledger '', gateway '{part.items_amount + part.shipping_amount}')" in result.output
