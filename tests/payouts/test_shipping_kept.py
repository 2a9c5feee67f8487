"""Shipping money is the household's once it handed the part to a courier: no refund of
goods takes it back, on any refund path; before shipping a refund may give it back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.money import payments, refunds
from marketplace.money import services as payouts
from marketplace.money.models import LedgerEntry, Refund
from marketplace.orders import inbox as order_inbox
from tests import factories


@pytest.fixture
def part():
    seller = factories.make_seller()
    order = factories.make_paid_order((factories.make_product(seller=seller, price=80_000), 1))
    part = order.parts[0]
    assert part.shipping_amount > 0
    return part


def move(part, *steps: str) -> None:
    for step in steps:
        order_inbox.move_part_for_seller(
            part.id,
            part.seller_id,
            step,
            actor_id=part.seller.user_id,
            courier="JNE",
            tracking_number="J1",
        )


def refunded(part) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.part_id == part.id)
    )


def household(part) -> int:
    balances = payouts.balances_of(part.seller_id)
    return balances.pending + balances.available


def assert_balanced() -> None:
    totals = db.session.execute(
        select(LedgerEntry.event_key, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.event_key)
    )
    assert all(total == 0 for _key, total in totals)


def admin_id() -> int:
    return factories.make_user().id


def test_a_buyer_cancelling_before_shipping_gets_the_shipping_back(part):
    refunds.cancel_part_by_buyer(part.order_id, part.id, actor_id=None)
    assert refunded(part) == part.items_amount + part.shipping_amount
    assert household(part) == 0
    assert_balanced()


def test_an_admin_cancelling_a_shipped_part_gives_back_the_goods_only(part):
    move(part, "accept", "ship")
    refunds.cancel_part(part.order_id, part.id, actor_id=admin_id(), reason="Hilang di jalan")
    assert refunded(part) == part.items_amount
    balances = payouts.balances_of(part.seller_id)
    assert (balances.pending, balances.available) == (0, part.shipping_amount)
    assert_balanced()


def test_a_partial_refund_of_a_shipped_part_leaves_the_shipping(part):
    move(part, "accept", "ship")
    before = payouts.part_sums(part.id)["shipping"]
    refunds.refund_partly(
        part.order_id, part.id, 30_000, refund_key="s1", actor_id=admin_id(), reason="Penyok"
    )
    assert payouts.part_sums(part.id)["shipping"] == before == part.shipping_amount
    with pytest.raises(MarketplaceError):
        refunds.refund_partly(
            part.order_id,
            part.id,
            part.items_amount - 30_000 + 1,
            refund_key="s2",
            actor_id=admin_id(),
            reason="Semua",
        )
    assert payments.part_left(part) == part.items_amount - 30_000
    assert_balanced()


def test_a_refund_of_a_delivered_part_takes_the_goods_and_never_the_shipping(part):
    move(part, "accept", "ship", "delivered")
    refunds.refund_partly(
        part.order_id,
        part.id,
        payments.part_left(part),
        refund_key="d1",
        actor_id=admin_id(),
        reason="Rusak",
    )
    assert refunded(part) == part.items_amount
    assert payouts.balances_of(part.seller_id).available == part.shipping_amount
    assert payments.part_left(part) == 0
    assert_balanced()


def test_refunding_a_whole_order_keeps_the_shipping_of_a_delivered_part(part):
    move(part, "accept", "ship", "delivered")
    refunds.refund_order(part.order_id, refund_key="o1", actor_id=admin_id(), reason="Batal")
    assert refunded(part) == part.items_amount
    assert payouts.balances_of(part.seller_id).available == part.shipping_amount
    assert_balanced()
