"""Stripe Connect, the second payout method, over HTTP with the real ``stripe`` library
against the tests' Stripe-compatible server: an Express account and its onboarding link,
``account.updated``, a transfer per payout with its idempotency key, a reversal after a
refund, a failed transfer, and reconciliation against the server's transfers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.db import db, today_local
from marketplace.jobs import run_pending_jobs
from marketplace.money import accounts, refunds, runs, services
from marketplace.money.models import Payout
from marketplace.money.reconcile import default_days, period_of, reconcile
from marketplace.orders.models import OrderPart
from marketplace.payments.connect import StripeConnect
from marketplace.payments.gateway import get_gateway
from tests import factories
from tests.factories import PASSWORD

DAY = dt.date(2026, 11, 30)


def recent_differences(connect):
    """What the command and the admin page list by default (the last 31 days)."""
    return reconcile(
        period_of(*default_days(today_local())), gateway=get_gateway(), connect=connect
    )


@pytest.fixture
def connect(app, stripe_server):
    previous = app.extensions.get("connect_gateway")
    app.extensions["connect_gateway"] = gateway = StripeConnect(
        secret_key=stripe_server.secret_key, api_base=stripe_server.url
    )
    app.config["STRIPE_CONNECT_WEBHOOK_SECRET"] = "whsec_connect_tests"
    yield gateway
    app.config.pop("STRIPE_CONNECT_WEBHOOK_SECRET")
    if previous is None:
        app.extensions.pop("connect_gateway")
    else:
        app.extensions["connect_gateway"] = previous


def onboard(client, login_as, stripe_server, seller) -> str:
    """The household opens its Express account, finishes onboarding, an admin checks it."""
    endpoint = stripe_server.add_webhook_endpoint(secret="whsec_connect_tests")
    login_as(user=seller.user)
    response = client.post(
        "/penjual/pendapatan/rekening/stripe",
        data={"stripe-method": "stripe", "stripe-password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_server.url)
    db.session.expire_all()
    account = accounts.account_of(seller.id)
    assert account.stripe_account_id.startswith("acct_")
    assert not accounts.is_payable(account)
    stripe_server.onboard(account.stripe_account_id)
    [(body, headers)] = endpoint.take("account.updated")
    reply = client.post("/stripe/connect/webhook", data=body, headers=headers)
    assert reply.status_code == 200
    db.session.expire_all()
    account = accounts.account_of(seller.id)
    assert account.stripe_payouts_enabled
    accounts.verify_account(account.id, account.version, factories.make_user(roles=[Role.ADMIN]))
    db.session.commit()
    return account.stripe_account_id


def test_a_stripe_payout_is_a_transfer_and_a_later_refund_reverses_it(
    app, client, login_as, stripe_server, connect
):
    seller = factories.make_earning_seller(price=120_000)
    db.session.commit()
    account_id = onboard(client, login_as, stripe_server, seller)
    stripe_server.topup(10_000_000 * 100)
    available = services.balances_of(seller.id).available

    result = runs.run_payouts(today=DAY, connect=connect)
    [payout_id] = result.transferred
    payout = db.session.get(Payout, payout_id)
    transfer = stripe_server.client().v1.transfers.retrieve(payout.reference)
    part = db.session.scalar(select(OrderPart).where(OrderPart.seller_id == seller.id))
    assert transfer.amount == available * 100 and transfer.currency == "idr"
    assert transfer.destination == account_id
    assert transfer.transfer_group == f"order-{part.order_id}"
    assert transfer.metadata["payout"] == payout.number
    assert services.balances_of(seller.id).paid_out == available
    # The same payout sent again (a crash before recording) replays the same transfer.
    again = connect.create_transfer(
        amount=payout.amount,
        destination=account_id,
        idempotency_key=payout.idempotency_key,
        transfer_group=f"order-{part.order_id}",
        metadata={"payout": payout.number, "seller_id": str(seller.id)},
    )
    assert again.id == payout.reference
    assert len(stripe_server.client().v1.transfers.list().data) == 1
    assert recent_differences(connect) == []

    refunds.refund_partly(
        part.order_id, part.id, 30_000, refund_key="r", actor_id=None, reason="Barang rusak"
    )
    db.session.commit()
    owed = -services.balances_of(seller.id).available
    later = runs.run_payouts(today=DAY + dt.timedelta(days=7), connect=connect)
    assert later.reversed == [(payout.number, owed)]
    transfer = stripe_server.client().v1.transfers.retrieve(payout.reference)
    assert transfer.amount_reversed == owed * 100
    assert services.balances_of(seller.id).available == 0
    assert recent_differences(connect) == []

    # A transfer the ledger does not know is a difference.
    stripe_server.client().v1.transfers.create(
        params={"amount": 500_000, "currency": "idr", "destination": account_id}
    )
    [difference] = recent_differences(connect)
    assert difference.note == "unknown_transfer" and difference.gateway == "5000"


def test_a_transfer_stripe_refuses_returns_the_money(
    app, client, login_as, stripe_server, connect, inbox
):
    admin = factories.make_user(roles=[Role.ADMIN], email="admin.uang@contoh.id")
    seller = factories.make_earning_seller()
    db.session.commit()
    account_id = onboard(client, login_as, stripe_server, seller)
    stripe_server.topup(10_000_000 * 100)
    stripe_server.restrict(account_id)  # Stripe wants more documents; we have not heard yet
    available = services.balances_of(seller.id).available
    result = runs.run_payouts(today=DAY, connect=connect)
    [(number, reason)] = result.failed
    assert "capabilities" in reason
    payout = db.session.scalar(select(Payout).where(Payout.seller_id == seller.id))
    assert (payout.number, payout.status) == (number, "failed")
    assert services.balances_of(seller.id).available == available
    assert recent_differences(connect) == []
    # The admins are told, once the failure is committed.
    run_pending_jobs()
    [mail] = [m for m in inbox.messages if m["To"] == admin.email]
    assert mail["Subject"] == f"Pencairan {number} gagal"
    body = mail.get_payload(decode=True).decode()
    assert seller.shop_name in body and "capabilities" in body and "/admin/pencairan" in body


def test_an_older_account_event_delivered_late_does_not_undo_what_stripe_says_now(
    client, login_as, stripe_server, connect
):
    seller = factories.make_earning_seller()
    db.session.commit()
    account_id = onboard(client, login_as, stripe_server, seller)
    endpoint = stripe_server.add_webhook_endpoint(secret="whsec_connect_tests")
    stripe_server.restrict(account_id)
    stripe_server.onboard(account_id)
    stripe_server.restrict(account_id)  # where Stripe leaves it: no payouts
    restricted, enabled, restricted_again = endpoint.take("account.updated")
    # A retry brings the older "enabled" after the newest event: each is read back.
    for body, headers in (restricted_again, enabled, restricted):
        assert client.post("/stripe/connect/webhook", data=body, headers=headers).status_code == 200
        db.session.expire_all()
        account = accounts.account_of(seller.id)
        assert account.stripe_payouts_enabled is False
        assert not accounts.is_payable(account)


def test_a_payout_from_one_card_paid_order_draws_on_its_charge(
    app, client, login_as, stripe_server, connect
):
    """Separate charges and transfers: the order's charge is the transfer's source, so the
    transfer does not wait for (or draw on) the platform's own available balance."""
    from marketplace.money.models import Payment

    seller = factories.make_earning_seller(price=150_000)
    part = db.session.scalar(select(OrderPart).where(OrderPart.seller_id == seller.id))
    stripe = stripe_server.client()
    session = stripe.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://127.0.0.1/selesai",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "idr",
                        "unit_amount": part.order.total_amount * 100,
                        "product_data": {"name": part.order.number},
                    },
                }
            ],
        }
    )
    stripe_server.pay(session.id)
    # The order was paid through that session (as the Stripe gateway records it).
    payment = db.session.scalar(select(Payment).where(Payment.order_id == part.order_id))
    payment.gateway, payment.intent_id = "stripe", session.id
    db.session.commit()
    account_id = onboard(client, login_as, stripe_server, seller)

    [payout_id] = runs.run_payouts(today=DAY, connect=connect).transferred
    payout = db.session.get(Payout, payout_id)
    transfer = stripe.v1.transfers.retrieve(payout.reference)
    charge_id = stripe.v1.payment_intents.retrieve(
        stripe.v1.checkout.sessions.retrieve(session.id).payment_intent
    ).latest_charge
    assert transfer.source_transaction == charge_id
    assert transfer.transfer_group == f"order-{part.order_id}"
    assert transfer.destination == account_id
    assert recent_differences(connect) == []


def test_transfers_are_compared_within_the_period_asked_for(
    app, client, login_as, stripe_server, connect
):
    seller = factories.make_earning_seller(price=120_000)
    db.session.commit()
    account_id = onboard(client, login_as, stripe_server, seller)
    stripe_server.topup(10_000_000 * 100)
    runs.run_payouts(today=DAY, connect=connect)
    unknown = stripe_server.client().v1.transfers.create(
        params={"amount": 500_000, "currency": "idr", "destination": account_id}
    )
    db.session.commit()
    assert [(d.subject, d.note) for d in recent_differences(connect)] == [
        (unknown.id, "unknown_transfer")
    ]
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1 and f"{unknown.id}: [unknown_transfer]" in result.output
    # A month before, neither the payout's transfer nor the unknown one was made.
    earlier = ["payouts", "reconcile", "--since", "2026-01-01", "--until", "2026-01-31"]
    result = app.test_cli_runner().invoke(args=earlier)
    assert result.exit_code == 0 and "0 difference(s)" in result.output
    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    page = client.get("/admin/pencairan/rekonsiliasi?since=2026-01-01&until=2026-01-31")
    assert 'id="no-differences"' in page.get_data(as_text=True)
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert f'<strong>{unknown.id}</strong> · <span data-note="unknown_transfer">' in page
