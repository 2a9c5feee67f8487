"""Reconciliation of government receipts: SP2D transfers and offices' card payments.

An SP2D is checked against the ledger and the invoice it pays (against the bank's
statement in test_bank_reconcile.py); a card payment (paid on Stripe Checkout, over HTTP
against the tests' Stripe server) against the gateway's payment it names, whose charge is
compared with Stripe's; its refund in Stripe's dashboard is listed, not booked.
"""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import delete, func, select, update

from marketplace.accounts.models import Role
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import billing
from marketplace.institutions.models import GovInvoice, GovPayment, PaymentMethod
from marketplace.money.models import LedgerEntry
from marketplace.money.payments import payments_of
from marketplace.money.reconcile import default_days, period_of, reconcile
from marketplace.payments.connect import TestConnect
from marketplace.payments.stripe_gateway import StripeGateway
from tests import factories
from tests.stripe_server import WEBHOOK_SECRET


@pytest.fixture
def stripe_gateway(app, stripe_server, payment_gateway):
    app.extensions["payment_gateway"] = gateway = StripeGateway(
        secret_key=stripe_server.secret_key,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe_server.url,
    )
    previous = app.extensions.get("connect_gateway")
    app.extensions["connect_gateway"] = TestConnect()
    yield gateway
    app.extensions["connect_gateway"] = previous


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


def test_sp2d_and_card_receipts_are_compared_with_the_ledger_invoices_and_stripe(
    app, client, login_as, stripe_gateway, stripe_server
):
    webhooks = stripe_server.add_webhook_endpoint()
    admin = factories.make_user(roles=[Role.ADMIN])
    order, _quote, officer, by_card = factories.make_invoiced_gov_order()
    first = by_card.payable_amount // 2
    sp2d = billing.record_payment(
        by_card.id, admin, amount=first, reference="SP2D-21", paid_on=today_local()
    )
    _other, _quote, _officer, by_transfer = factories.make_invoiced_gov_order()
    billing.record_payment(
        by_transfer.id,
        admin,
        amount=by_transfer.payable_amount,
        reference="SP2D-22",
        paid_on=today_local(),
    )
    db.session.commit()
    # The office pays the rest with its government card on Stripe Checkout.
    login_as(user=officer)
    assert client.post(f"/instansi/pesanan/{order.id}/bayar-kartu").status_code == 303
    [payment] = payments_of(order.id)
    stripe_server.pay(payment.intent_id)
    [(body, headers)] = webhooks.take("checkout.session.completed")
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    db.session.expire_all()
    card = db.session.scalar(
        select(GovPayment).where(GovPayment.method == PaymentMethod.CARD.value)
    )
    assert (card.reference, card.amount) == (payment.intent_id, by_card.payable_amount - first)
    assert differences() == []

    # The SP2D's ledger events lost, an invoice's paid amount changed, a card receipt
    # naming a payment the gateway never had.
    db.session.execute(
        delete(LedgerEntry).where(LedgerEntry.event_key.startswith(f"gov-payment-{sp2d.id}-"))
    )
    db.session.execute(
        update(GovInvoice)
        .where(GovInvoice.id == by_transfer.id)
        .values(paid_amount=GovInvoice.paid_amount - 1)
    )
    db.session.execute(
        update(GovPayment).where(GovPayment.id == card.id).values(reference="cs_test_elsewhere")
    )
    db.session.commit()
    transfer_number = db.session.get(GovInvoice, by_transfer.id).document.number
    assert differences() == sorted(
        [
            ("SP2D-21", "receipt_not_in_ledger"),
            (transfer_number, "invoice_paid_differs"),
            ("cs_test_elsewhere", "card_payment_missing"),
        ]
    )

    login_as(user=admin)
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert (
        '<strong>SP2D-21</strong> · <span data-note="receipt_not_in_ledger">'
        "Penerimaan SP2D atau kartu instansi tidak sesuai buku besar</span>" in page
    )
    assert "Jumlah terbayar di tagihan berbeda dengan penerimaannya" in page
    assert "Pembayaran kartu instansi tidak ada di gateway" in page
    assert "Belum ada rekening koran bank di aplikasi" in page
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1 and "3 difference(s)" in result.output
    assert "cs_test_elsewhere: [card_payment_missing]" in result.output


def test_a_dashboard_refund_of_an_offices_card_payment_is_listed_with_its_cause(
    app, client, login_as, stripe_gateway, stripe_server
):
    """Not booked: the invoice and kwitansi it paid are in the office's SPJ (README)."""
    webhooks = stripe_server.add_webhook_endpoint()
    admin = factories.make_user(roles=[Role.ADMIN])
    order, _quote, officer, invoice = factories.make_invoiced_gov_order()
    db.session.commit()
    login_as(user=officer)
    assert client.post(f"/instansi/pesanan/{order.id}/bayar-kartu").status_code == 303
    [payment] = payments_of(order.id)
    stripe_server.pay(payment.intent_id)
    [(body, headers)] = webhooks.take("checkout.session.completed")
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    webhooks.take()
    assert differences() == []
    booked = db.session.scalar(select(func.count()).select_from(LedgerEntry))

    api = stripe_server.client()
    intent = api.v1.checkout.sessions.retrieve(payment.intent_id).payment_intent
    made = api.v1.refunds.create(params={"payment_intent": intent, "amount": 50_000 * 100})
    for body, headers in webhooks.take("refund.created") + webhooks.take("charge.refunded"):
        assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == booked
    assert db.session.get(GovInvoice, invoice.id).paid_amount == invoice.payable_amount
    assert differences() == [(made.id, "gov_card_refund")]

    login_as(user=admin)
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert f'<strong>{made.id}</strong> · <span data-note="gov_card_refund">' in page
    assert "Pembayaran kartu instansi dikembalikan di dasbor Stripe: tidak dibukukan" in page
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1 and f"{made.id}: [gov_card_refund]" in result.output
    assert "(ledger '', gateway '50000')" in result.output
