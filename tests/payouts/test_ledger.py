"""The ledger: entries written with the state move, summing to zero, never twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.db import db
from marketplace.money import payments, refunds
from marketplace.money import services as payouts
from marketplace.money.models import LedgerEntry, LedgerIsAppendOnly, Payment
from marketplace.orders import inbox as order_inbox
from marketplace.orders import lifecycle
from marketplace.orders.models import OrderPart
from tests import factories


def entries(part_id: int | None = None) -> list[LedgerEntry]:
    query = select(LedgerEntry).order_by(LedgerEntry.id)
    if part_id is not None:
        query = query.where(LedgerEntry.order_part_id == part_id)
    return list(db.session.scalars(query))


def legs(part_id: int, event_key: str) -> dict[str, int]:
    return {e.account: e.amount for e in entries(part_id) if e.event_key == event_key}


def assert_every_event_sums_to_zero() -> None:
    rows = db.session.execute(
        select(LedgerEntry.event_key, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.event_key)
    ).all()
    assert rows and all(total == 0 for _, total in rows)


def pay(gateway, order):
    payment = payments.open_payment(order.id, gateway)
    intent = gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
    )
    payments.record_intent(intent)
    db.session.flush()
    return payment, intent


def deliver(part: OrderPart) -> None:
    seller_id, actor = part.seller_id, part.seller.user_id
    order_inbox.move_part_for_seller(part.id, seller_id, "accept", actor_id=actor)
    order_inbox.move_part_for_seller(
        part.id, seller_id, "ship", actor_id=actor, courier="JNE", tracking_number="JNE123"
    )
    order_inbox.move_part_for_seller(part.id, seller_id, "delivered", actor_id=actor)


@pytest.fixture
def two_households(payment_gateway):
    amplang = factories.make_seller(shop_name="Amplang Ibu A")
    rotan = factories.make_seller(shop_name="Rotan Ibu B")
    order = factories.make_order(
        (factories.make_product(seller=amplang, price=33_333), 1),
        (factories.make_product(seller=rotan, price=40_000), 2),
    )
    payment, _ = pay(payment_gateway, order)
    parts = {part.seller_id: part for part in order.parts}
    return order, payment, parts[amplang.id], parts[rotan.id]


def test_a_confirmed_payment_credits_each_household_minus_commission(two_households):
    order, _payment, amplang, rotan = two_households
    assert amplang.shipping_amount > 0
    assert legs(amplang.id, f"part-{amplang.id}-paid") == {
        "buyer_funds": -(33_333 + amplang.shipping_amount),
        "platform_commission": 1_667,
        "seller_pending": 31_666,
        "shipping": amplang.shipping_amount,
    }
    assert legs(rotan.id, f"part-{rotan.id}-paid")["platform_commission"] == 4_000
    assert_every_event_sums_to_zero()
    balances = payouts.balances_of(amplang.seller_id)
    assert balances == payouts.Balances(31_666 + amplang.shipping_amount, 0, 0)
    # everything the buyer paid is in the ledger, to the rupiah
    assert -sum(e.amount for e in entries() if e.account == "buyer_funds") == order.total_amount


def test_delivery_makes_the_pending_money_available(two_households):
    _order, _payment, amplang, rotan = two_households
    deliver(amplang)
    expected = 31_666 + amplang.shipping_amount
    assert payouts.balances_of(amplang.seller_id) == payouts.Balances(0, expected, 0)
    assert payouts.balances_of(rotan.seller_id).available == 0
    assert legs(amplang.id, f"part-{amplang.id}-delivered") == {
        "seller_pending": -31_666,
        "shipping": -amplang.shipping_amount,
        "seller_available": expected,
    }
    assert_every_event_sums_to_zero()


def test_a_replayed_payment_adds_no_entries(two_households, payment_gateway):
    order, payment, _amplang, _rotan = two_households
    before = len(entries())
    payments.record_intent(payment_gateway.retrieve_intent(payment.intent_id))
    assert payouts.record_payment_entries(order) == 0
    assert len(entries()) == before


def test_a_replayed_webhook_adds_no_entries(client, payment_gateway):
    order = factories.make_order((factories.make_product(price=30_000), 1))
    payment = payments.open_payment(order.id, payment_gateway)
    db.session.commit()
    payment_gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
    )
    body, signature = payment_gateway.signed_event(
        "payment_intent.succeeded", payment_gateway.retrieve_intent(payment.intent_id)
    )
    headers = {"Stripe-Signature": signature}
    assert client.post("/stripe/webhook", data=body, headers=headers).get_data() == b"ok"
    first = [(e.event_key, e.account, e.amount) for e in entries(order.parts[0].id)]
    assert len(first) == 4
    assert client.post("/stripe/webhook", data=body, headers=headers).get_data() == b"duplicate"
    db.session.expire_all()
    assert [(e.event_key, e.account, e.amount) for e in entries(order.parts[0].id)] == first


def test_a_rolled_back_state_move_leaves_no_entries(two_households):
    _order, _payment, amplang, _rotan = two_households
    before = len(entries())
    with pytest.raises(RuntimeError), db.session.begin_nested():
        deliver(amplang)
        assert payouts.balances_of(amplang.seller_id).available > 0
        raise RuntimeError("the commit fails")
    db.session.expire_all()
    assert len(entries()) == before
    assert db.session.get(OrderPart, amplang.id).status == "new"
    assert payouts.balances_of(amplang.seller_id).available == 0


def test_an_unpaid_order_has_no_entries(payment_gateway):
    order = factories.make_order((factories.make_product(price=30_000), 1))
    assert entries(order.parts[0].id) == []


def test_a_cancelled_part_reverses_its_entries(two_households):
    _order, _payment, amplang, rotan = two_households
    lifecycle.cancel_part_for_buyer(amplang.order_id, amplang.id, actor_id=None)
    refund = payments.refund_part(amplang.id)
    assert refund is not None
    reversal = legs(amplang.id, f"refund-{refund.id}")
    assert reversal == {
        "refunds": 33_333 + amplang.shipping_amount,
        "platform_commission": -1_667,
        "seller_pending": -31_666,
        "shipping": -amplang.shipping_amount,
    }
    assert payouts.balances_of(amplang.seller_id) == payouts.Balances(0, 0, 0)
    assert payouts.balances_of(rotan.seller_id).pending > 0
    assert_every_event_sums_to_zero()


def test_a_partial_refund_after_delivery_comes_out_of_the_available_money(two_households):
    order, _payment, _amplang, rotan = two_households
    deliver(rotan)
    available = payouts.balances_of(rotan.seller_id).available
    admin = factories.make_user()
    [refund] = refunds.refund_partly(
        order.id, rotan.id, 10_000, refund_key="k1", actor_id=admin.id, reason="Kemasan penyok"
    ).refunds
    reversal = legs(rotan.id, f"refund-{refund.id}")
    assert reversal["refunds"] == 10_000
    assert reversal["platform_commission"] < 0
    assert set(reversal) == {"refunds", "platform_commission", "seller_available"}
    assert (
        payouts.balances_of(rotan.seller_id).available == available + reversal["seller_available"]
    )
    assert_every_event_sums_to_zero()
    # household balances plus the platform's commission equal the money kept
    kept = -sum(e.amount for e in entries() if e.account in ("buyer_funds", "refunds"))
    owed = sum(
        e.amount
        for e in entries()
        if e.account in ("platform_commission", "seller_pending", "shipping", "seller_available")
    )
    assert kept == owed


def test_a_whole_payment_refund_writes_nothing(two_households):
    _order, payment, _amplang, _rotan = two_households
    before = len(entries())
    payments.queue_refund(
        db.session.get(Payment, payment.id),
        1_000,
        payments.RefundReason.DUPLICATE,
        "whole-1",
    )
    assert len(entries()) == before


def test_the_same_event_cannot_be_written_twice_by_the_database(two_households):
    _order, _payment, amplang, _rotan = two_households
    db.session.add(
        LedgerEntry(
            event_key=f"part-{amplang.id}-paid",
            account="seller_pending",
            seller_id=amplang.seller_id,
            order_part_id=amplang.id,
            amount=1,
        )
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_an_unbalanced_event_is_refused(two_households):
    _order, _payment, amplang, _rotan = two_households
    with pytest.raises(ValueError):
        payouts.write_event("odd", amplang, [(payouts.Account.SELLER_AVAILABLE, 5)])
    assert legs(amplang.id, "odd") == {}


def test_entries_are_never_edited_or_deleted(two_households):
    _order, _payment, amplang, _rotan = two_households
    with pytest.raises(LedgerIsAppendOnly), db.session.begin_nested():
        entries(amplang.id)[0].amount += 1
        db.session.flush()
    with pytest.raises(LedgerIsAppendOnly), db.session.begin_nested():
        db.session.delete(entries(amplang.id)[0])
        db.session.flush()


def test_no_code_updates_or_deletes_ledger_rows():
    root = Path(__file__).resolve().parents[2] / "marketplace"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"(update|delete)\(\s*LedgerEntry",
            r"(?i)(update|delete from)\s+ledger_entries",
        ):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    payouts_code = "".join(p.read_text() for p in (root / "payouts").glob("*.py"))
    # The payouts area moves its own state rows (payouts, accounts) with guarded UPDATEs;
    # none of them is the ledger, and nothing there deletes.
    targets = set(re.findall(r"\bupdate\(\s*(\w+)", payouts_code))
    assert targets <= {"Payout", "PayoutAccount", "PayoutRun", "PartComplaint"}
    assert not re.search(r"\bdelete\(", payouts_code)
    assert offenders == []


def test_cancelling_a_part_already_partly_refunded_gives_back_only_the_rest(two_households):
    order, _payment, amplang, _rotan = two_households
    admin = factories.make_user()
    refunds.refund_partly(
        order.id, amplang.id, 5_000, refund_key="k2", actor_id=admin.id, reason="Kemasan penyok"
    )
    lifecycle.cancel_part_for_buyer(order.id, amplang.id, actor_id=None)
    refund = payments.refund_part(amplang.id)
    assert refund is not None
    assert refund.amount == 33_333 + amplang.shipping_amount - 5_000
    assert payouts.balances_of(amplang.seller_id) == payouts.Balances(0, 0, 0)
    assert sum(e.amount for e in entries(amplang.id) if e.account == "platform_commission") == 0
    assert_every_event_sums_to_zero()
