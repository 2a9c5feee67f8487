"""A protocol office pays its invoice with its government card (KKP) on Stripe Checkout.

Over real HTTP with the real ``stripe`` library against the tests' Stripe-compatible
server: the office is sent to the Checkout page, pays there, and the signed webhook
records the payment against the invoice.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.institutions import billing
from marketplace.money.models import Payment
from marketplace.payments.stripe_gateway import StripeGateway
from tests import factories
from tests.stripe_server import WEBHOOK_SECRET


@pytest.fixture
def stripe_gateway(app, stripe_server, payment_gateway):
    gateway = StripeGateway(
        secret_key=stripe_server.secret_key,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe_server.url,
    )
    app.extensions["payment_gateway"] = gateway
    yield gateway


def test_the_office_pays_its_invoice_on_stripe_checkout(
    client, login_as, stripe_gateway, stripe_server
):
    webhooks = stripe_server.add_webhook_endpoint()
    order, _quote, officer, invoice = factories.make_invoiced_gov_order()
    login_as(user=officer)

    response = client.post(f"/instansi/pesanan/{order.id}/bayar-kartu")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_server.url)
    [payment] = db.session.scalars(select(Payment).where(Payment.order_id == order.id))
    session = stripe_server.client().v1.checkout.sessions.retrieve(payment.intent_id)
    assert session.currency == "idr"
    assert session.amount_total == invoice.payable_amount * 100  # IDR in hundredths
    assert session.success_url.endswith(f"/instansi/pesanan/{order.id}")

    # A reload goes back to the same Checkout page: no second payment.
    again = client.post(f"/instansi/pesanan/{order.id}/bayar-kartu")
    assert again.headers["Location"] == response.headers["Location"]
    assert list(db.session.scalars(select(Payment).where(Payment.order_id == order.id))) == [
        payment
    ]

    stripe_server.pay(payment.intent_id)
    [(body, headers)] = webhooks.take("checkout.session.completed")
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200

    db.session.expire_all()
    invoice = billing.invoice_of(order.id)
    assert invoice.status == "paid"
    assert [(p.method, p.amount) for p in invoice.payments] == [("card", invoice.payable_amount)]
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert "lunas" in page.lower()
