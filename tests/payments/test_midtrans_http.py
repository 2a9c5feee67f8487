"""QRIS, virtual accounts and e-wallets through Midtrans, over real HTTP, with the real
``midtransclient`` against tests/midtrans_server (which answers as Midtrans documents).

The app (Flask's test client) charges, shows the QR or the account number, verifies the
notifications the server signs, asks for the status before acting, refunds through
Midtrans where it can and otherwise waits for the admin's bank transfer.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from marketplace.db import db, now_utc
from marketplace.inventory.models import Product
from marketplace.jobs import run_pending_jobs
from marketplace.money import domestic
from marketplace.money.models import (
    Account,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from marketplace.money.payment_units import issue_refunds
from marketplace.money.payments import refund_part
from marketplace.orders.models import Order, OrderEvent, OrderStatus
from marketplace.payments.connect import TestConnect
from marketplace.payments.gateway import GatewayError, Period, get_gateway
from marketplace.payments.midtrans_gateway import MidtransGateway, signature
from marketplace.payments.models import WebhookEvent
from marketplace.rupiah import format_rupiah
from tests import factories


def an_order(price=150000, stock=5):
    product = factories.make_product(price=price, stock=stock, name="Amplang kepiting")
    order = factories.make_order((product, 2))
    db.session.commit()
    return order, product


def choose(client, order, method: str):
    """The buyer picks a method and presses "Bayar"; the page it lands on."""
    response = client.post(f"/pesanan/{order.access_token}/bayar", data={"method": method})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    db.session.expire_all()
    payment = db.session.scalars(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc())
    ).first()
    return page.get_data(as_text=True), payment


def notify(client, body: bytes):
    response = client.post(
        "/midtrans/notifikasi", data=body, headers={"Content-Type": "application/json"}
    )
    return response.status_code, response.get_data(as_text=True)


def deliver_all(client, midtrans_server):
    return [notify(client, body) for body, _ in midtrans_server.take()]


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def ledger_of(order) -> list[tuple[str, str, int]]:
    db.session.expire_all()
    part_ids = [part.id for part in fresh(Order, order.id).parts]
    payment_ids = list(db.session.scalars(select(Payment.id).where(Payment.order_id == order.id)))
    keys = [f"payment-{pid}-fee" for pid in payment_ids]
    rows = db.session.execute(
        select(LedgerEntry.event_key, LedgerEntry.account, LedgerEntry.amount)
        .where(LedgerEntry.order_part_id.in_(part_ids) | LedgerEntry.event_key.in_(keys))
        .order_by(LedgerEntry.id)
    )
    return [tuple(row) for row in rows]


def test_the_buyer_chooses_among_the_configured_methods(client, midtrans):
    order, _ = an_order()
    page = client.get(f"/pesanan/{order.access_token}/bayar").get_data(as_text=True)
    for label in ("QRIS", "BCA Virtual Account", "BNI Virtual Account", "BRI Virtual Account",
                  "Mandiri Bill Payment", "GoPay", "ShopeePay"):  # fmt: skip
        assert label in page
    # Cards are on the test gateway here: no Stripe, so no card and no "Mode uji" choice.
    assert "Kartu kredit" not in page and 'value="test"' not in page
    # Buyers pay real money through Midtrans: no "Mode uji" banner on the pages.
    assert "Mode uji: pembayaran tidak sungguhan" not in page
    refused = client.post(f"/pesanan/{order.access_token}/bayar", data={"method": "ovo"})
    assert refused.status_code == 400
    assert "Pilih cara bayar yang tersedia." in refused.get_data(as_text=True)


def test_mode_uji_still_works_with_no_gateway_configured(client):
    order, _ = an_order()
    page = client.get(f"/pesanan/{order.access_token}/bayar").get_data(as_text=True)
    assert "Bayar (uji)" in page and "QRIS" not in page
    assert "Mode uji: pembayaran tidak sungguhan" in page


def test_qris_shows_the_code_and_the_notification_pays_the_order_once(
    client, midtrans, midtrans_server
):
    order, product = an_order()
    page, payment = choose(client, order, "qris")
    assert (payment.gateway, payment.method) == ("midtrans", "qris")
    assert payment.idempotency_key == f"order-{order.id}-attempt-1"
    transaction = midtrans_server.by_order(payment.idempotency_key)
    assert payment.intent_id == transaction.transaction_id
    assert transaction.gross_amount == order.total_amount
    # The QR drawn on the server from Midtrans' qr_string, inline: no script, no image.
    assert "Pindai QRIS" in page and "<svg" in page
    assert payment.instructions["qr_string"] == transaction.extra["qr_string"]
    # Reloading the page shows the same charge, not a new one.
    client.get(f"/pesanan/{order.access_token}/bayar")
    assert len(midtrans_server.transactions) == 1

    midtrans_server.pay(transaction.transaction_id)
    [(status, text)] = deliver_all(client, midtrans_server)
    assert (status, text) == (200, "ok")
    assert fresh(Order, order.id).status == OrderStatus.PAID.value
    assert fresh(Payment, payment.id).status == PaymentStatus.SUCCEEDED.value
    entries = ledger_of(order)
    fee = (order.total_amount * 70 + 5000) // 10000  # QRIS: 0.7%
    assert (f"payment-{payment.id}-fee", Account.PAYMENT_FEES.value, fee) in entries
    assert (f"payment-{payment.id}-fee", Account.PLATFORM_COMMISSION.value, -fee) in entries
    by_event: dict[str, int] = {}
    for key, _, amount in entries:
        by_event[key] = by_event.get(key, 0) + amount
    assert set(by_event.values()) == {0}  # each event sums to zero

    # Midtrans sends at least once, and not always in order: the same notification again,
    # then the older "pending" one, change nothing.
    paid_body = midtrans_server.notification(transaction)
    assert notify(client, paid_body) == (200, "duplicate")
    assert notify(client, midtrans_server.notification(transaction, "pending"))[0] == 200
    assert fresh(Order, order.id).status == OrderStatus.PAID.value
    assert ledger_of(order) == entries
    paid_moves = db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.to_status == OrderStatus.PAID.value)
    )
    assert paid_moves == 1
    assert fresh(Product, product.id).stock == 3


@pytest.mark.parametrize(
    "method, bank", [("bca", "bca"), ("bni", "bni"), ("bri", "bri"), ("mandiri", None)]
)
def test_a_virtual_account_shows_its_number_amount_and_deadline(
    client, midtrans, midtrans_server, method, bank
):
    order, _ = an_order()
    page, payment = choose(client, order, method)
    transaction = midtrans_server.by_order(payment.idempotency_key)
    if bank:
        [va] = transaction.extra["va_numbers"]
        assert va["bank"] == bank
        assert va["va_number"] in page and "Nomor Virtual Account" in page
    else:  # Mandiri Bill Payment: a biller code and a bill key
        assert transaction.payment_type == "echannel"
        assert transaction.extra["bill_key"] in page and transaction.extra["biller_code"] in page
    assert f"<dd>{format_rupiah(payment.amount)}</dd>" in page
    assert "Batas bayar" in page
    # Midtrans' expiry is the order's own (custom_expiry).
    assert abs(transaction.expires - fresh(Order, order.id).expires_at) < dt.timedelta(minutes=2)


def test_an_e_wallet_gives_the_phone_its_deeplink(client, midtrans, midtrans_server):
    order, _ = an_order()
    page, payment = choose(client, order, "shopeepay")
    assert "shopeeid://" in page and "Bayar di aplikasi ShopeePay" in page
    page, payment = choose(client, order, "gopay")
    assert "gojek://" in page and "<svg" in page
    # The e-wallet's app sends the buyer back to the order's page.
    charged = midtrans_server.by_order(payment.idempotency_key).charged
    assert charged["gopay"]["callback_url"].endswith(f"/pesanan/{order.access_token}")


def test_choosing_another_method_closes_the_first_at_midtrans(client, midtrans, midtrans_server):
    order, _ = an_order()
    _, first = choose(client, order, "qris")
    page, second = choose(client, order, "bca")
    assert first.id != second.id
    assert midtrans_server.transactions[first.intent_id].status == "expire"
    assert fresh(Payment, first.id).status == PaymentStatus.FAILED.value
    assert fresh(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value
    # The VA is paid: the order is paid, the closed QR's expiry changed nothing.
    midtrans_server.pay(second.intent_id)
    results = deliver_all(client, midtrans_server)
    assert results[-1] == (200, "ok")
    assert fresh(Order, order.id).status == OrderStatus.PAID.value


def test_a_notification_not_signed_by_midtrans_changes_nothing(client, midtrans, midtrans_server):
    order, _ = an_order()
    _, payment = choose(client, order, "bca")
    transaction = midtrans_server.by_order(payment.idempotency_key)
    transaction.status = "settlement"  # as if paid, but the app must hear it from Midtrans
    body = json.loads(midtrans_server.notification(transaction))
    body["signature_key"] = signature(
        body["order_id"], body["status_code"], body["gross_amount"], "someone-elses-key"
    )
    assert notify(client, json.dumps(body).encode()) == (400, "bad signature")
    body["gross_amount"] = "1.00"  # a signed field changed after signing
    body["signature_key"] = json.loads(midtrans_server.notification(transaction))["signature_key"]
    assert notify(client, json.dumps(body).encode()) == (400, "bad signature")
    assert notify(client, b"not json")[0] == 400
    nested = b"[" * 1200 + b"]" * 1200  # past what the parser reads, before any signature
    assert notify(client, nested)[0] == 400
    response = client.post("/midtrans/notifikasi", data=nested, content_type="text/plain")
    assert response.status_code == 400
    assert fresh(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_the_status_is_asked_before_trusting_a_signed_notification(
    client, midtrans, midtrans_server
):
    order, _ = an_order()
    _, payment = choose(client, order, "bni")
    transaction = midtrans_server.by_order(payment.idempotency_key)
    # A correctly signed "settlement" for a transaction Midtrans still has pending (a
    # replayed or forged body with a leaked key): the status says pending, nothing moves.
    forged = midtrans_server.notification(transaction, "settlement")
    assert notify(client, forged)[0] == 200
    assert fresh(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value


def test_expiry_gives_the_stock_back(client, midtrans, midtrans_server, clock):
    order, product = an_order()
    _, payment = choose(client, order, "bri")
    assert fresh(Product, product.id).stock == 3
    clock.move(minutes=31)
    midtrans_server.expire_now(payment.intent_id)
    [(status, _)] = deliver_all(client, midtrans_server)
    assert status == 200
    assert fresh(Payment, payment.id).status == PaymentStatus.FAILED.value
    assert fresh(Order, order.id).status == OrderStatus.EXPIRED.value
    assert fresh(Product, product.id).stock == 5
    # The same expiry again: the stock is not given back twice.
    midtrans_server.notify(payment.intent_id)
    assert deliver_all(client, midtrans_server) == [(200, "duplicate")]
    assert fresh(Product, product.id).stock == 5


def test_the_orders_own_expiry_closes_the_transaction_at_midtrans(
    app, client, midtrans, midtrans_server
):
    order, product = an_order()
    _, payment = choose(client, order, "mandiri")
    fresh(Order, order.id).expires_at = now_utc() - dt.timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert "1 order(s) expired" in result.output
    run_pending_jobs()
    # Closed at Midtrans, so the bill key can no longer be paid; its notification then
    # changes nothing more.
    assert midtrans_server.transactions[payment.intent_id].status == "expire"
    assert fresh(Payment, payment.id).status == PaymentStatus.FAILED.value
    assert deliver_all(client, midtrans_server) == [(200, "ok")]
    assert fresh(Product, product.id).stock == 5


def pay_by(client, midtrans_server, order, method):
    _, payment = choose(client, order, method)
    midtrans_server.pay(payment.intent_id)
    deliver_all(client, midtrans_server)
    assert fresh(Order, order.id).status == OrderStatus.PAID.value
    return payment


def test_a_qris_refund_goes_through_midtrans(client, midtrans, midtrans_server):
    order, _ = an_order()
    payment = pay_by(client, midtrans_server, order, "qris")
    part = fresh(Order, order.id).parts[0]
    refund = refund_part(part.id)
    db.session.commit()
    assert issue_refunds([refund.id], get_gateway()) == 1
    done = fresh(Refund, refund.id)
    assert done.status == RefundStatus.SUCCEEDED.value
    transaction = midtrans_server.transactions[payment.intent_id]
    [made] = transaction.refunds
    assert (made["key"], made["amount"]) == (done.idempotency_key, done.amount)
    assert done.gateway_refund_id == str(made["id"])
    # Its notification comes back: recognised as ours, nothing recorded twice.
    assert deliver_all(client, midtrans_server) == [(200, "ok")]
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert reconciled() == []


def test_a_virtual_account_refund_waits_for_the_admins_bank_transfer(
    client, midtrans, midtrans_server, login_as
):
    order, _ = an_order()
    pay_by(client, midtrans_server, order, "bca")
    refund = refund_part(fresh(Order, order.id).parts[0].id)
    db.session.commit()
    # Midtrans cannot refund a VA: nothing is asked of it, the refund waits.
    assert issue_refunds([refund.id], get_gateway()) == 0
    assert fresh(Refund, refund.id).status == RefundStatus.PENDING.value
    login_as("admin")
    page = client.get(f"/admin/pesanan/{order.id}").get_data(as_text=True)
    assert "Pengembalian lewat transfer bank" in page
    url = f"/admin/pesanan/{order.id}/transfer/{refund.id}"
    assert client.post(url, data={"reference": "BCA-20261206-77"}).status_code == 303
    done = fresh(Refund, refund.id)
    assert (done.status, done.gateway_refund_id) == ("succeeded", "transfer:BCA-20261206-77")
    # Twice: recorded once.
    client.post(url, data={"reference": "BCA-20261206-77"})
    assert fresh(Refund, refund.id).gateway_refund_id == "transfer:BCA-20261206-77"
    assert reconciled() == []


def test_reconciliation_lists_what_midtrans_has_otherwise(client, midtrans, midtrans_server):
    order, _ = an_order()
    payment = pay_by(client, midtrans_server, order, "gopay")
    assert reconciled() == []
    # A refund made in Midtrans' dashboard, whose notification has not come (yet).
    transaction = midtrans_server.transactions[payment.intent_id]
    transaction.refunds.append(
        {"id": 9, "amount": 10000, "key": "dash-1", "reason": "", "created": now_utc()}
    )
    transaction.status = "partial_refund"
    [difference] = reconciled()
    assert (difference.note, difference.ledger, difference.gateway) == (
        "midtrans_refunds",
        "0",
        "10000",
    )
    # Its notification comes: recorded as a refund of the order, and nothing is left over.
    midtrans_server.notify(payment.intent_id)
    assert deliver_all(client, midtrans_server) == [(200, "ok")]
    assert reconciled() == []
    notes = db.session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order.id))
    assert "Rp10.000: Dikembalikan di dasbor Midtrans (9)" in list(notes)
    # A second one: the same status again, a new refund, recorded too.
    transaction.refunds.append(
        {"id": 10, "amount": 5000, "key": "dash-2", "reason": "", "created": now_utc()}
    )
    midtrans_server.notify(payment.intent_id)
    assert deliver_all(client, midtrans_server) == [(200, "ok")]
    given = db.session.scalar(
        select(func.sum(Refund.amount)).where(Refund.payment_id == payment.id)
    )
    assert given == 15000
    assert reconciled() == []


def test_the_flask_command_compares_midtrans_too(
    app, client, midtrans, midtrans_server, monkeypatch
):
    monkeypatch.setitem(app.extensions, "connect_gateway", TestConnect())
    order, _ = an_order()
    payment = pay_by(client, midtrans_server, order, "qris")
    midtrans_server.transactions[payment.intent_id].gross_amount += 1
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1
    assert "Jumlah transaksi Midtrans berbeda" in result.output


def reconciled():
    """The Midtrans check of today (the test's reads end first: the check reads afresh)."""
    db.session.commit()
    now = now_utc()
    return domestic.reconcile_midtrans(
        Period(now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    )


def test_the_client_speaks_to_the_configured_host(midtrans, midtrans_server):
    """midtransclient builds its URLs from ApiConfig's class attributes: overridden here."""
    assert midtrans.core.api_config.get_core_api_base_url() == midtrans_server.url
    stranger = MidtransGateway(server_key="SB-Mid-server-wrong", api_base=midtrans_server.url)
    with pytest.raises(GatewayError, match="401"):
        stranger.retrieve_intent("anything")


def test_with_stripe_too_the_buyer_may_pay_by_card(
    app, client, midtrans, midtrans_server, stripe_server
):
    from marketplace.payments.stripe_gateway import StripeGateway
    from tests.stripe_server import WEBHOOK_SECRET

    app.extensions["payment_gateway"] = StripeGateway(
        secret_key=stripe_server.secret_key,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe_server.url,
    )
    order, _ = an_order()
    page = client.get(f"/pesanan/{order.access_token}/bayar").get_data(as_text=True)
    assert "Kartu kredit/debit" in page and "QRIS" in page
    _, qris = choose(client, order, "qris")
    # The buyer changes their mind: a card. The QR is closed at Midtrans first.
    response = client.post(f"/pesanan/{order.access_token}/bayar", data={"method": "card"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{stripe_server.url}/_test/checkout/cs_")
    assert midtrans_server.transactions[qris.intent_id].status == "expire"
    assert fresh(Payment, qris.id).status == PaymentStatus.FAILED.value
