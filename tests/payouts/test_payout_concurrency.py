"""Two payout runs at the same moment pay each balance once, on SQLite and PostgreSQL.

The runs leave the per-test rolled-back transaction: each thread has its own session
and connection, as two ``flask payouts run`` processes (or the command and the admin
page) would. On PostgreSQL the household's row lock makes the second run wait and
then find the payout; on SQLite BEGIN IMMEDIATE serialises them; under both, the
unique (household, run day) is the backstop.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from marketplace.db import db
from marketplace.money import services
from marketplace.money.models import (
    LedgerEntry,
    Payout,
    PayoutAccount,
    PayoutAccountChange,
    PayoutRun,
)
from marketplace.money.runs import run_payouts
from tests import factories
from tests.cleanup import committing_session, forget_ledger_entries
from tests.orders.test_concurrency import _purge, run_together

DAY = dt.date(2026, 12, 7)
RUNS = 4


@pytest.fixture
def committed(app):
    """A real session for this test; what it committed is deleted afterwards."""
    sellers = []

    def cleanup() -> None:
        db.session.execute(delete(PayoutAccountChange))
        db.session.execute(delete(PayoutAccount))
        for seller in sellers:
            forget_ledger_entries(db.session, LedgerEntry.seller_id == seller.id)
            db.session.execute(delete(Payout).where(Payout.seller_id == seller.id))
        db.session.execute(delete(PayoutRun).where(PayoutRun.period == DAY))
        for seller in sellers:
            _purge(seller)

    with committing_session(cleanup):
        yield sellers


def test_runs_started_together_pay_each_balance_once(app, committed):
    sellers = [factories.make_earning_seller(price=60_000 + i) for i in range(3)]
    committed.extend(sellers)
    for seller in sellers:
        factories.make_payout_account(seller)
    db.session.commit()
    before = {seller.id: services.balances_of(seller.id).available for seller in sellers}
    ids = [seller.id for seller in sellers]
    db.session.rollback()

    def run(_i):
        with app.app_context():
            try:
                return run_payouts(today=DAY)
            finally:
                db.session.remove()

    results = run_together(RUNS, run)

    assert sorted(len(result.created) for result in results)[-1] >= 1
    assert sum(len(result.created) for result in results) == len(sellers)
    db.session.rollback()
    counts = dict(
        db.session.execute(
            select(Payout.seller_id, func.count(Payout.id))
            .where(Payout.seller_id.in_(ids))
            .group_by(Payout.seller_id)
        ).all()
    )
    assert counts == dict.fromkeys(ids, 1)
    for seller_id in ids:
        balances = services.balances_of(seller_id)
        assert (balances.available, balances.in_transit) == (0, before[seller_id])
        amount = db.session.scalar(select(Payout.amount).where(Payout.seller_id == seller_id))
        assert amount == before[seller_id]
