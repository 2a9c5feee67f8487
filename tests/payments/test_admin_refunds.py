"""Admins give money back, in part or in full, once per form."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentStatus
from tests import factories


@pytest.fixture
def paid(payment_gateway):
    order = factories.make_order(
        (factories.make_product(price=100000), 1), (factories.make_product(price=50000), 1)
    )
    payment = services.open_payment(order.id, payment_gateway)
    services.record_intent(
        payment_gateway.complete(
            payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
        )
    )
    db.session.commit()
    return order, payment


def refund(client, order, amount, part=None, key="form-1"):
    data = {"amount": amount, "refund_key": key, "part_id": part.id if part else ""}
    return client.post(f"/admin/pesanan/{order.id}", data=data)


def test_an_admin_refunds_part_of_one_households_share(client, login_as, paid, payment_gateway):
    order, payment = paid
    login_as(Role.ADMIN)
    part = order.parts[0]
    assert refund(client, order, "Rp 25.000", part).status_code == 303
    [done] = services.refunds_of(order.id)
    assert (done.amount, done.part_id, done.reason, done.status) == (
        25000,
        part.id,
        "admin",
        "succeeded",
    )
    assert done.created_by_id is not None
    # a partial refund leaves the payment standing
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED.value
    page = client.get(f"/admin/pesanan/{order.id}").get_data(as_text=True)
    assert "Rp25.000" in page and "re_test_" in page


def test_the_same_form_twice_refunds_once(client, login_as, paid, payment_gateway):
    order, _ = paid
    login_as(Role.ADMIN)
    refund(client, order, "10000", key="same")
    second = refund(client, order, "10000", key="same")
    assert second.status_code == 303
    assert len(services.refunds_of(order.id)) == 1 and len(payment_gateway.refunds) == 1


@pytest.mark.parametrize("amount", ["0", "", "abc", "-5"])
def test_bad_amounts_are_refused(client, login_as, paid, amount):
    order, _ = paid
    login_as(Role.ADMIN)
    assert refund(client, order, amount).status_code == 400
    assert services.refunds_of(order.id) == []


def test_no_more_than_a_share_or_the_payment(client, login_as, paid):
    order, payment = paid
    login_as(Role.ADMIN)
    part = order.parts[0]
    too_much = part.items_amount + part.shipping_amount + 1
    response = refund(client, order, str(too_much), part)
    assert response.status_code == 400 and "melebihi" in response.get_data(as_text=True)
    assert refund(client, order, str(payment.amount + 1), key="k2").status_code == 400
    assert refund(client, order, str(payment.amount), key="k3").status_code == 303
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.REFUNDED.value


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER, Role.REVIEWER, Role.OFFICER])
def test_only_admins(client, login_as, paid, role):
    order, _ = paid
    login_as(role)
    assert client.get("/admin/pesanan").status_code == 403
    assert refund(client, order, "1000").status_code == 403
