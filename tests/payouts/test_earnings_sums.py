"""The earnings page's figures read in one pass over the household's running sums (per
account and kind, over all time and in the month) are those each period's own reading gives."""

from __future__ import annotations

import datetime as dt

from marketplace.db import db
from marketplace.money import ledger_sums, services
from marketplace.money.models import Account, LedgerEntry
from marketplace.money.summary import _SUMS, earnings_summary, sales_of
from tests import factories


def _legs(seller_id: int, key: str, moment: dt.datetime, legs: dict[Account, int]):
    return [
        LedgerEntry(
            event_key=key,
            account=account.value,
            seller_id=seller_id,
            amount=amount,
            created_at=moment,
        )
        for account, amount in legs.items()
    ]


def test_the_month_and_all_time_read_together_are_each_periods_own_figures():
    seller = factories.make_seller()
    november = dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC)
    december = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)
    entries = [
        *_legs(
            seller.id,
            "sale-nov",
            november,
            {
                Account.SELLER_PENDING: 90_000,
                Account.PLATFORM_COMMISSION: 10_000,
                Account.SHIPPING: 15_000,
                Account.BUYER_FUNDS: -115_000,
            },
        ),
        *_legs(
            seller.id,
            "sale-dec",
            december,
            {
                Account.SELLER_PENDING: 45_000,
                Account.PLATFORM_COMMISSION: 5_000,
                Account.BUYER_FUNDS: -50_000,
            },
        ),
        *_legs(
            seller.id,
            "refund-dec",
            december,
            {
                Account.SELLER_PENDING: -9_000,
                Account.PLATFORM_COMMISSION: -1_000,
                Account.BUYER_FUNDS: 10_000,
            },
        ),
    ]
    db.session.add_all(entries)
    db.session.flush()
    assert ledger_sums.differences() == []

    summary = earnings_summary(seller.id, today=dt.date(2026, 12, 20))
    assert summary.this_month == sales_of(seller.id, dt.date(2026, 12, 1))
    assert summary.this_month.sold == 50_000
    assert summary.this_month.refunded == 10_000
    assert summary.this_month.shipping == 0
    assert summary.all_time == sales_of(seller.id)
    assert summary.all_time.sold == 150_000
    assert summary.all_time.shipping == 15_000
    assert summary.balances == services.balances_of(seller.id)

    # a month with no sums of its own: nothing sold in it, all time unchanged
    later = earnings_summary(seller.id, today=dt.date(2027, 1, 5))
    assert later.this_month == sales_of(seller.id, dt.date(2027, 1, 1)) == type(later.this_month)()
    assert later.all_time == summary.all_time


def test_the_sums_are_read_from_their_index_without_a_sort():
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    compiled = _SUMS.compile(dialect=connection.dialect)
    values = compiled.construct_params({"seller_id": 1, "month": "2026-12-01"})
    plan = " | ".join(
        row[-1]
        for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled),
            tuple(values[name] for name in compiled.positiontup),
        )
    )
    assert "COVERING INDEX ix_seller_ledger_sums_account_kind" in plan
    assert "TEMP B-TREE" not in plan
