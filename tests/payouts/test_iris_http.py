"""Payouts by transfer API: Midtrans Payouts (Iris) over real HTTP, against the Iris half of
tests/midtrans_server (account validation, payouts with X-Idempotency-Key, approval, payout
details, notifications signed with Iris-Signature)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.db import db, now_utc
from marketplace.mail import OutgoingMail
from marketplace.money import batches, iris_payouts, runs, services
from marketplace.money.models import Payout
from marketplace.payments.gateway import Period
from marketplace.payments.iris_gateway import Beneficiary, IrisGateway
from tests import factories
from tests.midtrans_server import IRIS_APPROVER_KEY, IRIS_CREATOR_KEY, IRIS_MERCHANT_KEY

DAY = dt.date(2026, 11, 30)


@pytest.fixture
def iris(app, midtrans_server):
    previous = app.extensions.get("payment_gateways", {})
    gateway = IrisGateway(
        creator_key=IRIS_CREATOR_KEY,
        approver_key=IRIS_APPROVER_KEY,
        merchant_key=IRIS_MERCHANT_KEY,
        api_base=f"{midtrans_server.url}/iris",
    )
    app.extensions["payment_gateways"] = {**previous, "iris": gateway}
    yield gateway
    app.extensions["payment_gateways"] = previous


@pytest.fixture
def payouts(midtrans_server):
    """Two open payouts: one to a BCA account the bank knows, one to DANA (Iris pays none)."""
    bank_household, wallet_household = (
        factories.make_earning_seller(),
        factories.make_earning_seller(),
    )
    factories.make_payout_account(bank_household)
    factories.make_payout_account(wallet_household, method="ewallet")
    db.session.commit()
    runs.run_payouts(today=DAY)
    db.session.commit()
    midtrans_server.bank_accounts[("bca", "0123456789")] = bank_household.owner_name.upper()
    bank = db.session.scalars(select(Payout).where(Payout.seller_id == bank_household.id)).one()
    wallet = db.session.scalars(select(Payout).where(Payout.seller_id == wallet_household.id)).one()
    return bank, wallet


def fresh(payout) -> Payout:
    db.session.expire_all()
    return db.session.get(Payout, payout.id)


def deliver(client, midtrans_server):
    answers = []
    for body, headers in midtrans_server.take_iris():
        response = client.post("/midtrans/iris/notifikasi", data=body, headers=headers)
        answers.append((response.status_code, response.get_data(as_text=True)))
    return answers


def test_open_payouts_go_through_iris_once_and_the_rest_stays_for_the_batch(
    iris, payouts, midtrans_server
):
    bank, wallet = payouts
    outcome = iris_payouts.send_payouts()
    assert (outcome.sent, outcome.left, outcome.failed) == ([bank.number], [wallet.number], [])
    sent = fresh(bank)
    reference = sent.reference.removeprefix("iris:")
    at_iris = midtrans_server.iris_payouts[reference]
    assert (at_iris["beneficiary_bank"], at_iris["beneficiary_account"]) == ("bca", "0123456789")
    assert at_iris["amount"] == f"{bank.amount}.00"
    assert at_iris["status"] == "approved"  # the approver's key approved it
    assert midtrans_server.iris_keys.keys() == {bank.idempotency_key}
    # A second press sends nothing again; the batch takes only what Iris does not reach.
    assert iris_payouts.send_payouts().sent == []
    assert len(midtrans_server.iris_payouts) == 1
    batch = batches.export_batch(None)
    assert [payout.id for payout in batches.batch_payouts(batch.id)] == [wallet.id]


def test_the_same_idempotency_key_pays_once(iris, midtrans_server):
    midtrans_server.bank_accounts[("bni", "9876543210")] = "Siti"
    beneficiary = Beneficiary("Siti", "9876543210", "bni")
    first = iris.create_payout(beneficiary, 50_000, notes="x", idempotency_key="payout-k")
    again = iris.create_payout(beneficiary, 50_000, notes="x", idempotency_key="payout-k")
    assert first == again and len(midtrans_server.iris_payouts) == 1


def test_completed_pays_out_once(client, iris, payouts, midtrans_server):
    bank, _ = payouts
    iris_payouts.send_payouts()
    reference = fresh(bank).reference.removeprefix("iris:")
    midtrans_server.iris(reference, "complete")
    assert deliver(client, midtrans_server) == [(200, "ok")]
    paid = fresh(bank)
    assert paid.status == "paid"
    balances = services.balances_of(paid.seller_id)
    assert (balances.in_transit, balances.paid_out) == (0, bank.amount)
    body, headers = midtrans_server.iris_notification(reference)
    again = client.post("/midtrans/iris/notifikasi", data=body, headers=headers)
    assert (again.status_code, again.get_data(as_text=True)) == (200, "duplicate")
    assert services.balances_of(paid.seller_id).paid_out == bank.amount
    now = now_utc()
    period = Period(now - dt.timedelta(days=400), now + dt.timedelta(hours=1))
    db.session.commit()
    assert iris_payouts.reconcile_iris(period) == []
    midtrans_server.iris_payouts[reference]["amount"] = "1.00"
    [difference] = iris_payouts.reconcile_iris(period)
    assert difference.note == "iris_differs"


def test_a_failed_payout_returns_to_available_and_the_admins_are_told(
    client, iris, payouts, midtrans_server
):
    bank, _ = payouts
    factories.make_user(roles=(Role.ADMIN,), email="admin-iris@contoh.id")
    db.session.commit()
    iris_payouts.send_payouts()
    reference = fresh(bank).reference.removeprefix("iris:")
    midtrans_server.iris(reference, "fail")
    assert deliver(client, midtrans_server) == [(200, "ok")]
    failed = fresh(bank)
    assert (failed.status, failed.failure_reason) == ("failed", "Rekening tujuan ditutup")
    balances = services.balances_of(failed.seller_id)
    assert (balances.available, balances.in_transit) == (bank.amount, 0)
    told = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.to == "admin-iris@contoh.id")
    ).all()
    assert any(bank.number in mail.subject for mail in told)


def test_an_account_whose_holder_is_someone_else_is_not_paid(iris, payouts, midtrans_server):
    bank, _ = payouts
    midtrans_server.bank_accounts[("bca", "0123456789")] = "Orang Lain"
    outcome = iris_payouts.send_payouts()
    assert outcome.failed == [bank.number] and outcome.sent == []
    refused = fresh(bank)
    assert refused.status == "failed"
    assert refused.failure_reason == "Nama pemilik rekening di bank: Orang Lain"
    assert midtrans_server.iris_payouts == {}
    assert services.balances_of(refused.seller_id).available == bank.amount


def test_a_notification_not_signed_by_iris_changes_nothing(client, iris, payouts, midtrans_server):
    bank, _ = payouts
    iris_payouts.send_payouts()
    reference = fresh(bank).reference.removeprefix("iris:")
    midtrans_server.iris(reference, "complete")
    [(body, headers)] = midtrans_server.take_iris()
    forged = client.post(
        "/midtrans/iris/notifikasi", data=body, headers={**headers, "Iris-Signature": "0" * 128}
    )
    assert forged.status_code == 400
    assert fresh(bank).status == "created"


@pytest.mark.parametrize("amount", ["abc", None, "", [1], {"a": 1}, "inf", "1e400", "NaN", -5])
def test_a_signed_notification_whose_amount_is_no_amount_is_refused(
    client, iris, payouts, midtrans_server, amount
):
    # Iris signs what it sends; an amount no provider writes is refused (400), not a 500
    # it would send again and again, and the payout stays as it was.
    bank, _ = payouts
    iris_payouts.send_payouts()
    reference = fresh(bank).reference.removeprefix("iris:")
    body = json.dumps({"reference_no": reference, "status": "completed", "amount": amount})
    signature = hashlib.sha512(body.encode() + IRIS_MERCHANT_KEY.encode()).hexdigest()
    response = client.post(
        "/midtrans/iris/notifikasi",
        data=body,
        headers={"Content-Type": "application/json", "Iris-Signature": signature},
    )
    assert response.status_code == 400
    assert fresh(bank).status == "created"
