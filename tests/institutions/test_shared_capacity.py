"""One made-to-order capacity for shop orders and institution holds, in the database.

Checkout takes a product's units from one production day; the gift-box builder promises
units for a due date. Each sees what the other took, so no unit is promised twice.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.institutions import boxes
from marketplace.inventory.capacity import (
    Supply,
    capacity_by,
    production_day_for,
    working_days,
)
from marketplace.inventory.models import CapacityHold, ProductionDay
from marketplace.orders.stock import SoldOut
from tests import factories


def _made_to_order(capacity: int = 10, lead_time_days: int = 1):
    product = factories.make_product(stock=0, price=30000)
    product.is_made_to_order = True
    product.daily_capacity, product.lead_time_days = capacity, lead_time_days
    db.session.flush()
    return product


def _hold(product, quantity: int, due_on: dt.date) -> CapacityHold:
    hold = CapacityHold(
        product_id=product.id,
        quantity=quantity,
        due_on=due_on,
        expires_at=now_utc() + dt.timedelta(days=3),
    )
    db.session.add(hold)
    db.session.flush()
    return hold


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def test_the_builder_counts_what_shop_orders_took():
    product = _made_to_order(capacity=10, lead_time_days=1)
    today = today_local()
    day = production_day_for(1, today)
    due = day + dt.timedelta(days=1)
    before = boxes.fit_of(product, 1, due).available
    assert before == 10 * working_days(today, due)
    factories.make_order((product, 7))
    assert boxes.fit_of(product, 1, due).available == before - 7


def test_checkout_refuses_units_an_institution_holds():
    product = _made_to_order(capacity=10, lead_time_days=1)
    today = today_local()
    day = production_day_for(1, today)
    due = day + dt.timedelta(days=1)
    # the office holds every unit that can be made by its date: the day itself is empty
    _hold(product, 10 * working_days(today, due), due)
    with pytest.raises(SoldOut, match="tidak bisa membuat"), db.session.begin_nested():
        factories.make_order((product, 1))
    assert db.session.scalars(select(ProductionDay)).all() == []
    # a hold due later leaves room for today's order: it can be made on the days after
    product.lead_time_days = 1
    db.session.execute(
        CapacityHold.__table__.update().values(due_on=_next_monday(due) + dt.timedelta(days=14))
    )
    factories.make_order((product, 4))


# No deadline: how fast a loaded machine runs an example is not what this test asserts.
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    capacity=st.integers(1, 12),
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("order"), st.integers(1, 12), st.integers(0, 6)),
            st.tuples(st.just("hold"), st.integers(1, 40), st.integers(1, 14)),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_holds_and_orders_never_exceed_the_capacity(app, capacity, steps):
    """Orders and holds in any mix and order: everything promised can still be made."""
    with db.session.begin_nested() as example:
        product = _made_to_order(capacity=capacity)
        today = today_local()
        for kind, quantity, days in steps:
            if kind == "order":
                product.lead_time_days = days  # the household changes its lead time
                db.session.flush()
                try:
                    with db.session.begin_nested():
                        factories.make_order((product, quantity))
                except SoldOut:
                    pass
            else:
                due = today + dt.timedelta(days=days)
                if boxes.fit_of(product, quantity, due).fits:
                    _hold(product, quantity, due)
        supply = Supply(stock=0, is_made_to_order=True, daily_capacity=capacity)
        days_taken = {
            row.day: row.units_taken
            for row in db.session.scalars(
                select(ProductionDay).where(ProductionDay.product_id == product.id)
            )
        }
        holds = [(h.quantity, h.due_on) for h in db.session.scalars(select(CapacityHold))]
        assert all(units <= capacity for units in days_taken.values())
        deadlines = {due for _, due in holds} | {day + dt.timedelta(days=1) for day in days_taken}
        for deadline in deadlines:
            held = sum(quantity for quantity, due in holds if due <= deadline)
            ordered = sum(u for day, u in days_taken.items() if today < day < deadline)
            assert held + ordered <= capacity_by(supply, today, deadline)
        example.rollback()
