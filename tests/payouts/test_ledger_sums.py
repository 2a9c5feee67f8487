"""The ledger's running sums (balances, sales per month, what waits per part) are derived
data: kept in the flush that writes the entries, always equal to the entries' sums, and
checked against them by ``flask payouts check-balances``."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select, update

from marketplace.catalog.models import Seller
from marketplace.db import db, unit_of_work
from marketplace.money import ledger_sums, services
from marketplace.money.models import (
    Account,
    LedgerEntry,
    PartWaitingSum,
    SellerLedgerSum,
)
from marketplace.money.summary import sales_of
from tests import factories
from tests.cleanup import committing_session, forget_ledger_entries
from tests.orders.test_concurrency import _purge as purge_seller
from tests.orders.test_concurrency import run_together


def test_a_sale_and_its_delivery_move_the_sums_in_the_same_flush():
    order = factories.make_paid_order((factories.make_product(price=80_000, stock=5), 1))
    part = order.parts[0]
    waiting = db.session.scalar(
        select(PartWaitingSum.amount).where(PartWaitingSum.order_part_id == part.id)
    )
    balances = services.balances_of(part.seller_id)
    assert waiting == balances.pending > 0
    assert ledger_sums.differences() == []

    factories.deliver(part)
    waiting = db.session.scalar(
        select(PartWaitingSum.amount).where(PartWaitingSum.order_part_id == part.id)
    )
    assert waiting == 0
    assert services.balances_of(part.seller_id).available == balances.pending
    assert ledger_sums.differences() == []


def test_a_month_holds_only_the_entries_written_in_it_in_wita():
    seller = factories.make_seller()
    # 16:30 UTC on the last day of November is already 1 December in Tarakan.
    late = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)
    early = dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC)
    for key, moment, amount in (("a", late, 7_000), ("b", early, 5_000)):
        db.session.add_all(
            [
                LedgerEntry(
                    event_key=f"sale-{key}",
                    account=Account.SELLER_PENDING.value,
                    seller_id=seller.id,
                    amount=amount,
                    created_at=moment,
                ),
                LedgerEntry(
                    event_key=f"sale-{key}",
                    account=Account.BUYER_FUNDS.value,
                    seller_id=seller.id,
                    amount=-amount,
                    created_at=moment,
                ),
            ]
        )
    db.session.flush()
    assert sales_of(seller.id, dt.date(2026, 12, 1)).sold == 7_000
    assert sales_of(seller.id, dt.date(2026, 11, 1)).sold == 5_000
    assert sales_of(seller.id).sold == 12_000
    assert ledger_sums.differences() == []


def test_check_balances_names_a_sum_that_drifted_and_rebuilds_it(app):
    runner = app.test_cli_runner()
    made: list[int] = []
    # Committed for real: the command reads in a snapshot of its own.
    with committing_session(lambda: _purge_sellers(made)):
        seller = factories.make_earning_seller(price=50_000)
        db.session.commit()
        made.append(seller.id)
        assert runner.invoke(args=["payouts", "check-balances"]).exit_code == 0

        db.session.execute(
            update(SellerLedgerSum)
            .where(
                SellerLedgerSum.seller_id == seller.id,
                SellerLedgerSum.account == Account.SELLER_AVAILABLE.value,
            )
            .values(amount=SellerLedgerSum.amount + 1)
        )
        db.session.commit()
        result = runner.invoke(args=["payouts", "check-balances"])
        assert result.exit_code == 1
        assert "1 difference(s)" in result.output
        assert f"seller_ledger_sums ({seller.id}, 'seller_available'" in result.output

        result = runner.invoke(args=["payouts", "check-balances", "--rebuild"])
        assert "rebuilt from the ledger" in result.output
        assert runner.invoke(args=["payouts", "check-balances"]).exit_code == 0


def test_writers_at_the_same_moment_are_all_counted(app):
    """Events of one household written by several sessions at once, each committing: the
    upsert adds each to the same row, none is lost."""
    writers = 6
    made: list[int] = []
    with committing_session(lambda: _purge_sellers(made)):
        seller = factories.make_seller()
        db.session.commit()
        seller_id = seller.id
        made.append(seller_id)
        errors: list[BaseException] = []
        lock = threading.Lock()

        def write(i: int) -> None:
            # Each thread's app context has a session (and a connection) of its own.
            with app.app_context():
                try:
                    with unit_of_work():
                        services.write_seller_event(
                            f"test-concurrent-{i}",
                            seller_id,
                            [(Account.SELLER_AVAILABLE, 1_000 + i), (Account.REFUNDS, -1_000 - i)],
                        )
                        db.session.commit()
                except BaseException as error:  # noqa: BLE001 - reported below
                    with lock:
                        errors.append(error)
                finally:
                    db.session.remove()

        run_together(writers, write)
        assert errors == []
        db.session.rollback()
        expected = sum(1_000 + i for i in range(writers))
        assert services.balances_of(seller_id).available == expected
        assert ledger_sums.differences() == []


def _purge_sellers(made: list[int]) -> None:
    """Delete the households a test committed, with their orders, entries and sums."""
    for seller_id in made:
        forget_ledger_entries(db.session, LedgerEntry.seller_id == seller_id)
        purge_seller(db.session.get(Seller, seller_id))
