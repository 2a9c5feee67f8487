"""Revenue to households counts what happened: on a government order what the officer
received and the invoice billed, on a public one the goods less what was refunded of them.

Every order is paid in April 2025 (set by hand), so the demo catalogue, made "now", falls
outside the period and each figure is exact.
"""

from __future__ import annotations

import datetime as dt

from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import billing
from marketplace.money import refunds
from marketplace.pkk import periods, report
from tests import factories

START, END = dt.date(2025, 1, 1), dt.date(2025, 6, 30)
APRIL = dt.datetime(2025, 4, 10, 2, tzinfo=dt.UTC)


def _impact() -> report.ImpactReport:
    return report.impact_report(periods.Period(START, END), today=dt.date(2025, 12, 1))


def _month(impact: report.ImpactReport, month: int) -> int:
    return next(m.revenue_amount for m in impact.months if m.month.month == month)


def test_a_government_order_counts_what_was_received_and_billed():
    """30 jars at Rp 40,000 ordered, 28 received, 28 billed: 28 × 40,000 = 1,120,000, all
    of it from a government order (share 100.0 %), in April; not 30 × 40,000 = 1,200,000."""
    seller = factories.make_seller(region_slug="malinau", shop_name="Madu Hutan")
    jar = factories.make_product(seller=seller, price=40_000, stock=500)
    order, _quote, officer, _head = factories.make_gov_order(products=[jar], boxes=30)
    line = order.parts[0].lines[0]
    assert line.quantity == 30
    factories.deliver_gov_order(order, officer=officer, short={line.id: 2})
    invoice = billing.issue_handover(order.id, officer)
    bill_line = billing.bill_of(order, _quote).lines[0]
    assert (bill_line.received, bill_line.amount) == (28, 1_120_000)
    billing.record_payment(
        invoice.id,
        None,
        amount=invoice.payable_amount,
        reference="SP2D-0001",
        paid_on=today_local(),
    )
    order.paid_at = APRIL
    factories.make_training([seller], held_on=dt.date(2025, 1, 20))
    db.session.flush()

    impact = _impact()
    assert impact.revenue_amount == 1_120_000
    assert impact.government_revenue_amount == 1_120_000
    assert impact.government_share_percent == 100.0
    assert _month(impact, 4) == 1_120_000
    assert impact.revenue_by_category == {"Anyaman Rotan": 1_120_000}
    # Training in January: after it Feb 0, Mar 0, Apr 1,120,000 (the same rule).
    assert impact.assisted[0].after == [0, 0, 1_120_000]


def _admin_id() -> int:
    return factories.make_user().id


def _ship(part) -> None:
    from marketplace.orders.inbox import move_part_for_seller

    for step in ("accept", "ship"):
        move_part_for_seller(
            part.id,
            part.seller_id,
            step,
            actor_id=part.seller.user_id,
            courier="JNE",
            tracking_number="JNE0001",
        )


def test_a_public_order_counts_its_goods_less_the_goods_refunded(payment_gateway):
    """One order, three households. Tikar 2 × 60,000 = 120,000, shipped, Rp 30,000 given back
    (goods only: its shipping was spent): 90,000. Keripik 1 × 45,000, cancelled by the
    buyer before shipping: 0. Kain 2 × 100,000 = 200,000, nothing given back. Shipping counts
    nowhere: 90,000 + 200,000 = 290,000 in April."""
    tikar_shop = factories.make_seller(region_slug="malinau", shop_name="Tikar T")
    keripik_shop = factories.make_seller(region_slug="tarakan", shop_name="Keripik K")
    kain_shop = factories.make_seller(region_slug="tarakan", shop_name="Kain L")
    tikar = factories.make_product(seller=tikar_shop, price=60_000, stock=10)
    keripik = factories.make_product(
        seller=keripik_shop, price=45_000, stock=10, category_slug="camilan"
    )
    kain = factories.make_product(seller=kain_shop, price=100_000, stock=10)
    order = factories.make_paid_order((tikar, 2), (keripik, 1), (kain, 2), gateway=payment_gateway)
    parts = {part.seller_id: part for part in order.parts}
    assert all(part.shipping_amount > 0 for part in order.parts)
    _ship(parts[tikar_shop.id])
    refunds.refund_partly(
        order.id,
        parts[tikar_shop.id].id,
        30_000,
        refund_key="penyok",
        actor_id=_admin_id(),
        reason="Penyok",
    )
    refunds.cancel_part_by_buyer(order.id, parts[keripik_shop.id].id, actor_id=None)
    order.paid_at = APRIL
    factories.make_capital_assistance(tikar_shop, given_on=dt.date(2025, 1, 15))
    db.session.flush()

    impact = _impact()
    assert impact.revenue_amount == 290_000
    assert _month(impact, 4) == 290_000
    by_region = {r.name: r.revenue_amount for r in impact.regions}
    assert (by_region["Malinau"], by_region["Tarakan"]) == (90_000, 200_000)
    assert impact.revenue_by_category == {"Anyaman Rotan": 290_000}
    assert impact.government_revenue_amount == 0
    # The same rule in the assisted household's months: Feb 0, Mar 0, Apr 90,000.
    assert impact.assisted[0].after == [0, 0, 90_000]


def test_a_refund_before_shipping_deducts_only_its_goods(payment_gateway):
    """Before shipping a refund is spread over goods and shipping as the ledger reverses
    them: a part of 100,000 goods and S shipping given back (100,000 + S) / 5 loses
    100,000 / 5 = 20,000 of goods (and S / 5 of shipping): 80,000. Its two lines, 60,000
    and 40,000, carry the refund in proportion: 48,000 + 32,000 (one category each)."""
    seller = factories.make_seller(region_slug="malinau", shop_name="Rotan R")
    basket = factories.make_product(seller=seller, price=60_000, stock=10)
    snack = factories.make_product(seller=seller, price=40_000, stock=10, category_slug="camilan")
    order = factories.make_paid_order((basket, 1), (snack, 1), gateway=payment_gateway)
    part = order.parts[0]
    assert part.items_amount == 100_000 and (100_000 + part.shipping_amount) % 5 == 0
    refunds.refund_partly(
        order.id,
        part.id,
        (100_000 + part.shipping_amount) // 5,
        refund_key="sebagian",
        actor_id=_admin_id(),
        reason="Satu rusak",
    )
    order.paid_at = APRIL
    db.session.flush()

    impact = _impact()
    assert impact.revenue_amount == 80_000
    assert impact.revenue_by_category == {"Anyaman Rotan": 48_000, "Camilan & Kerupuk": 32_000}
