"""The Stripe test server (tests/stripe_server) as the real ``stripe`` library sees it."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe

from tests.stripe_server import WEBHOOK_SECRET
from tests.stripe_server.core import decode_form

RP = 100  # Stripe's hundredths per rupiah


def session_params(**overrides):
    params = {
        "mode": "payment",
        "currency": "idr",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "idr",
                    "unit_amount": 150_000 * RP,
                    "product_data": {"name": "Amplang kepiting"},
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "idr",
                    "unit_amount": 85_000 * RP,
                    "product_data": {"name": "Tas rotan"},
                },
            },
        ],
        "metadata": {"order_id": "41"},
        "client_reference_id": "41",
        "payment_intent_data": {"metadata": {"order_id": "41"}},
        "success_url": "http://shop.test/pesanan/abc/bayar/selesai?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/pesanan/abc",
    }
    params.update(overrides)
    return params


@pytest.fixture
def client(stripe_server):
    return stripe_server.client()


@pytest.fixture
def catcher():
    """A webhook receiver on a loopback port: a queue of (body, headers)."""
    received: queue.Queue = queue.Queue()

    class Catch(BaseHTTPRequestHandler):
        def do_POST(self):
            received.put((self.rfile.read(int(self.headers["Content-Length"])), dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook"
    yield received
    server.shutdown()
    server.server_close()


def test_nested_form_fields_decode_as_stripe_python_encodes_them():
    pairs = [
        ("line_items[0][price_data][unit_amount]", "15000000"),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][quantity]", "2"),
        ("metadata[order_id]", "7"),
        ("expand[0]", "payment_intent"),
    ]
    assert decode_form(pairs) == {
        "line_items": [
            {"price_data": {"unit_amount": "15000000"}, "quantity": "1"},
            {"quantity": "2"},
        ],
        "metadata": {"order_id": "7"},
        "expand": ["payment_intent"],
    }


def test_a_paid_checkout_session_is_delivered_as_signed_webhooks(stripe_server, client, catcher):
    stripe_server.add_webhook_endpoint(catcher.url)
    session = client.v1.checkout.sessions.create(params=session_params())
    assert session.id.startswith("cs_test_") and session.status == "open"
    assert session.amount_total == (2 * 150_000 + 85_000) * RP and session.currency == "idr"
    assert session.url == f"{stripe_server.url}/_test/checkout/{session.id}"
    assert session.payment_status == "unpaid" and session.payment_intent is None
    assert [line.quantity for line in client.v1.checkout.sessions.line_items.list(session.id)] == [
        2,
        1,
    ]

    stripe_server.pay(session.id)

    # Delivered before the control answered: no waiting.
    delivered = [catcher.get_nowait() for _ in range(catcher.qsize())]
    events = [
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], WEBHOOK_SECRET)
        for body, headers in delivered
    ]
    assert [e.type for e in events] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = events[-1].data.object
    assert completed.id == session.id and completed.payment_status == "paid"
    assert completed.metadata["order_id"] == "41" and completed.client_reference_id == "41"
    assert all(e.id.startswith("evt_") for e in events)
    # Another secret does not verify.
    body, headers = delivered[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")

    paid = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert paid.status == "complete" and paid.url is None
    intent = paid.payment_intent
    assert intent.id.startswith("pi_") and intent.status == "succeeded"
    assert intent.metadata["order_id"] == "41" and intent.amount == session.amount_total
    assert intent.latest_charge.id.startswith("ch_") and intent.latest_charge.paid
    assert client.v1.events.retrieve(events[-1].id).type == "checkout.session.completed"


def test_deliveries_wait_for_a_test_client_without_a_url(stripe_server, client):
    endpoint = stripe_server.add_webhook_endpoint(events=("checkout.session.completed",))
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_server.pay(session.id)
    [(body, headers)] = endpoint.take("checkout.session.completed")
    assert json.loads(body)["data"]["object"]["id"] == session.id
    stripe.Webhook.construct_event(body, headers["Stripe-Signature"], WEBHOOK_SECRET)
    assert endpoint.pending == []


def test_the_hosted_page_pays_and_returns_to_the_success_url(stripe_server, client):
    session = client.v1.checkout.sessions.create(params=session_params())
    page = requests.get(session.url, timeout=10)
    assert page.status_code == 200 and "Amplang kepiting" in page.text
    declined = requests.post(
        f"{session.url}/decline", data={"redirect": "1"}, allow_redirects=False, timeout=10
    )
    assert declined.status_code == 303
    assert "declined" in requests.get(session.url + "?declined=1", timeout=10).text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_server.events("payment_intent.payment_failed")

    paid = requests.post(
        f"{session.url}/pay", data={"redirect": "1"}, allow_redirects=False, timeout=10
    )
    assert paid.status_code == 303
    assert paid.headers["Location"] == (
        f"http://shop.test/pesanan/abc/bayar/selesai?session_id={session.id}"
    )
    assert requests.get(session.url, timeout=10).status_code == 410


def test_a_delayed_payment_settles_or_fails_later(stripe_server, client):
    endpoint = stripe_server.add_webhook_endpoint()
    good = client.v1.checkout.sessions.create(params=session_params())
    bad = client.v1.checkout.sessions.create(params=session_params())
    for session in (good, bad):
        done = stripe_server.pay(session.id, delayed=True)
        assert (done["status"], done["payment_status"]) == ("complete", "unpaid")
    stripe_server.settle(good.id)
    stripe_server.settle(bad.id, succeeded=False)
    types = [json.loads(body)["type"] for body, _ in endpoint.take()]
    assert "checkout.session.async_payment_succeeded" in types
    assert "checkout.session.async_payment_failed" in types
    assert client.v1.checkout.sessions.retrieve(good.id).payment_status == "paid"
    assert client.v1.checkout.sessions.retrieve(bad.id).payment_status == "unpaid"


def test_an_expired_session_cannot_be_paid(stripe_server, client):
    endpoint = stripe_server.add_webhook_endpoint()
    session = client.v1.checkout.sessions.create(params=session_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and expired.url is None
    [(body, _)] = endpoint.take("checkout.session.expired")
    assert json.loads(body)["data"]["object"]["id"] == session.id
    with pytest.raises(stripe.InvalidRequestError, match="status of expired"):
        client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(AssertionError, match="409"):
        stripe_server.pay(session.id)
    listed = client.v1.checkout.sessions.list(params={"status": "expired"})
    assert [s.id for s in listed.data] == [session.id]


def test_idempotency_keys_replay_or_refuse(stripe_server, client):
    first = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "order-41-attempt-1"}
    )
    again = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "order-41-attempt-1"}
    )
    assert again.id == first.id
    assert len(client.v1.checkout.sessions.list().data) == 1
    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="42"),
            options={"idempotency_key": "order-41-attempt-1"},
        )
    # The replay is marked as Stripe marks it.
    raw = requests.post(
        f"{stripe_server.url}/v1/payment_intents",
        data={"amount": "100", "currency": "idr"},
        headers={"Authorization": f"Bearer {stripe_server.secret_key}", "Idempotency-Key": "k"},
        timeout=10,
    )
    replay = requests.post(
        f"{stripe_server.url}/v1/payment_intents",
        data={"amount": "100", "currency": "idr"},
        headers={"Authorization": f"Bearer {stripe_server.secret_key}", "Idempotency-Key": "k"},
        timeout=10,
    )
    assert replay.json()["id"] == raw.json()["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_errors_have_stripes_shape_and_status(stripe_server, client):
    anonymous = requests.get(f"{stripe_server.url}/v1/balance", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient(
            "sk_test_wrong", base_addresses={"api": stripe_server.url}
        ).v1.balance.retrieve()

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nothing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert missing.value.error.message == "No such checkout.session: 'cs_test_nothing'"

    with pytest.raises(stripe.InvalidRequestError) as no_url:
        client.v1.checkout.sessions.create(params=session_params(success_url=""))
    assert (no_url.value.code, no_url.value.param) == ("parameter_missing", "success_url")

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params={"amount": 100, "currency": "idr", "colour": "red"})
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "colour")

    with pytest.raises(stripe.InvalidRequestError) as bad_amount:
        client.v1.payment_intents.create(params={"amount": "lots", "currency": "idr"})
    assert bad_amount.value.param == "amount"


def test_refunds_partial_then_the_rest_never_more(stripe_server, client):
    endpoint = stripe_server.add_webhook_endpoint(events=("charge.refunded", "refund.created"))
    session = client.v1.checkout.sessions.create(params=session_params())
    intent_id = stripe_server.pay(session.id)["payment_intent"]
    total = session.amount_total

    part = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 85_000 * RP})
    assert part.id.startswith("re_") and part.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": total})
    assert too_much.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"charge": part.charge})
    assert rest.amount == total - 85_000 * RP
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create(params={"payment_intent": intent_id})
    assert done.value.code == "charge_already_refunded"

    charge = client.v1.charges.retrieve(part.charge)
    assert charge.refunded and charge.amount_refunded == total
    refunded = [json.loads(body)["data"]["object"] for body, _ in endpoint.take("charge.refunded")]
    assert [c["amount_refunded"] for c in refunded] == [85_000 * RP, total]
    assert len(endpoint.take("refund.created")) == 2
    listed = client.v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.id for r in listed.data] == [rest.id, part.id]


def test_lists_page_newest_first(stripe_server, client):
    for amount in (1, 2, 3, 4, 5):
        client.v1.payment_intents.create(params={"amount": amount * RP, "currency": "idr"})
    first = client.v1.payment_intents.list(params={"limit": 2})
    assert [i.amount for i in first.data] == [500, 400] and first.has_more
    second = client.v1.payment_intents.list(
        params={"limit": 2, "starting_after": first.data[-1].id}
    )
    assert [i.amount for i in second.data] == [300, 200] and second.has_more
    last = client.v1.payment_intents.list(params={"limit": 2, "starting_after": second.data[-1].id})
    assert [i.amount for i in last.data] == [100] and not last.has_more
    assert [i.amount for i in client.v1.payment_intents.list().auto_paging_iter()] == [
        500,
        400,
        300,
        200,
        100,
    ]


def test_connect_accounts_transfers_reversals_and_balance(stripe_server, client):
    endpoint = stripe_server.add_webhook_endpoint(events=("account.updated", "transfer.reversed"))
    session = client.v1.checkout.sessions.create(
        params=session_params(payment_intent_data={"transfer_group": "ORDER_41"})
    )
    paid = client.v1.checkout.sessions.retrieve(
        stripe_server.pay(session.id)["id"], params={"expand": ["payment_intent"]}
    )
    charge_id = paid.payment_intent.latest_charge
    assert isinstance(charge_id, str) and charge_id.startswith("ch_")

    account = client.v1.accounts.create(
        params={"type": "express", "country": "ID", "email": "rumah@example.id"}
    )
    assert account.id.startswith("acct_") and account.default_currency == "idr"
    assert not account.charges_enabled and not account.payouts_enabled
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "http://shop.test/mulai",
            "return_url": "http://shop.test/selesai",
        }
    )
    assert link.url.startswith(stripe_server.url)

    transfer = {
        "amount": 150_000 * RP,
        "currency": "idr",
        "destination": account.id,
        "source_transaction": charge_id,
        "metadata": {"part_id": "9"},
    }
    with pytest.raises(stripe.InvalidRequestError) as not_onboarded:
        client.v1.transfers.create(params=transfer)
    assert not_onboarded.value.code == "insufficient_capabilities_for_transfer"

    # The household finishes onboarding on the link's page.
    onboarding = requests.get(link.url, timeout=10)
    assert onboarding.status_code == 200
    back = requests.post(
        f"{stripe_server.url}/_test/accounts/{account.id}/onboard",
        data={"redirect": "http://shop.test/selesai"},
        allow_redirects=False,
        timeout=10,
    )
    assert (back.status_code, back.headers["Location"]) == (303, "http://shop.test/selesai")
    [(body, _)] = endpoint.take("account.updated")
    assert json.loads(body)["data"]["object"]["payouts_enabled"] is True
    assert client.v1.accounts.retrieve(account.id).charges_enabled

    sent = client.v1.transfers.create(params=transfer)
    assert sent.id.startswith("tr_") and sent.transfer_group == "ORDER_41"
    assert sent.destination == account.id and sent.metadata["part_id"] == "9"
    with pytest.raises(stripe.InvalidRequestError, match="source_transaction"):
        client.v1.transfers.create(params={**transfer, "amount": session.amount_total})

    reversal = client.v1.transfers.reversals.create(sent.id, params={"amount": 50_000 * RP})
    assert reversal.id.startswith("trr_")
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.reversals.create(sent.id, params={"amount": 150_000 * RP})
    assert too_much.value.code == "amount_too_large"
    assert client.v1.transfers.retrieve(sent.id).amount_reversed == 50_000 * RP
    assert len(endpoint.take("transfer.reversed")) == 1

    balance = client.v1.balance.retrieve()
    [idr] = [b for b in balance.available if b.currency == "idr"]
    assert idr.amount == session.amount_total - 150_000 * RP + 50_000 * RP

    # Without a source transaction a transfer draws on the available balance.
    with pytest.raises(stripe.InvalidRequestError) as poor:
        client.v1.transfers.create(
            params={"amount": idr.amount + 1, "currency": "idr", "destination": account.id}
        )
    assert poor.value.code == "balance_insufficient"
    stripe_server.topup(1)
    client.v1.transfers.create(
        params={"amount": idr.amount + 1, "currency": "idr", "destination": account.id}
    )

    # Stripe wants more from the household: transfers are refused again.
    stripe_server.restrict(account.id)
    with pytest.raises(stripe.InvalidRequestError) as restricted:
        client.v1.transfers.create(params={**transfer, "amount": 1})
    assert restricted.value.code == "insufficient_capabilities_for_transfer"

    transfers = client.v1.balance_transactions.list(params={"type": "transfer"})
    assert [t.amount for t in transfers.data] == [-(idr.amount + 1), -150_000 * RP]
    kinds = [t.type for t in client.v1.balance_transactions.list(params={"limit": 100}).data]
    assert kinds == ["transfer", "topup", "transfer_refund", "transfer", "charge"]
    page = client.v1.balance_transactions.list(params={"limit": 2, "type": "transfer"})
    assert page.has_more is False
