"""The capacity arithmetic, without a database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.inventory.capacity import (
    Misfit,
    Promise,
    Supply,
    available_for,
    capacity_by,
    check_fit,
    working_days,
)

MONDAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("today", "due", "days"),
    [
        (MONDAY, MONDAY + dt.timedelta(days=1), 0),  # nothing between today and tomorrow
        (MONDAY, MONDAY + dt.timedelta(days=2), 1),  # Tuesday
        (MONDAY, MONDAY + dt.timedelta(days=7), 5),  # Tue..Sat, Sunday off
        (MONDAY, MONDAY + dt.timedelta(days=8), 6),  # ...and Monday
        (MONDAY, MONDAY + dt.timedelta(days=15), 12),
        (MONDAY, MONDAY, 0),
        (MONDAY, MONDAY - dt.timedelta(days=3), 0),
    ],
)
def test_working_days_are_monday_to_saturday_between(today, due, days):
    assert working_days(today, due) == days


@settings(deadline=None)
@given(st.dates(dt.date(2026, 1, 1), dt.date(2030, 1, 1)), st.integers(0, 400))
def test_working_days_match_counting_one_by_one(today, span):
    due = today + dt.timedelta(days=span)
    counted = sum(
        1
        for offset in range(1, span)
        if (today + dt.timedelta(days=offset)).weekday() != 6  # not Sunday
    )
    assert working_days(today, due) == counted


def test_capacity_is_stock_plus_daily_production():
    supply = Supply(stock=12, is_made_to_order=True, daily_capacity=20)
    assert capacity_by(supply, MONDAY, MONDAY + dt.timedelta(days=7)) == 12 + 20 * 5
    ready_made = Supply(stock=12, is_made_to_order=False, daily_capacity=20)
    assert capacity_by(ready_made, MONDAY, MONDAY + dt.timedelta(days=7)) == 12


def test_sixty_boxes_fit_when_there_are_enough_days():
    supply = Supply(stock=0, is_made_to_order=True, daily_capacity=10, lead_time_days=1)
    assert check_fit(supply, 60, MONDAY, MONDAY + dt.timedelta(days=8)).fits  # 6 days
    fit = check_fit(supply, 60, MONDAY, MONDAY + dt.timedelta(days=7))  # 5 days
    assert fit.misfit is Misfit.CAPACITY and fit.available == 50


def test_the_days_inside_the_lead_time_make_nothing_for_a_new_promise():
    # Ordered on Monday with a 3-day lead time: made from Thursday (Thu, Fri, Sat, Mon).
    supply = Supply(stock=0, is_made_to_order=True, daily_capacity=10, lead_time_days=3)
    fit = check_fit(supply, 60, MONDAY, MONDAY + dt.timedelta(days=8))
    assert fit.misfit is Misfit.CAPACITY and fit.available == 40


def test_ten_a_day_after_fourteen_days_is_not_a_hundred_and_twenty_in_fifteen():
    """The builder's seen over-promise: one production day is left, not twelve."""
    supply = Supply(stock=0, is_made_to_order=True, daily_capacity=10, lead_time_days=14)
    fit = check_fit(supply, 120, MONDAY, MONDAY + dt.timedelta(days=15))
    assert fit.misfit is Misfit.CAPACITY and fit.available == 10
    # Earlier promises may still be made inside the lead time: they do not eat into it.
    earlier = [Promise(30, MONDAY + dt.timedelta(days=10))]
    assert available_for(supply, MONDAY, MONDAY + dt.timedelta(days=15), earlier) == 10


def test_promises_in_those_days_are_taken_off():
    supply = Supply(stock=0, is_made_to_order=True, daily_capacity=10)
    due = MONDAY + dt.timedelta(days=8)
    promised = [Promise(40, MONDAY + dt.timedelta(days=4))]
    assert available_for(supply, MONDAY, due, promised) == 20
    # A promise due later still needs its production days: an earlier one cannot take them.
    later = [Promise(60, due)]
    assert available_for(supply, MONDAY, MONDAY + dt.timedelta(days=4), later) == 0
    # Past promises no longer compete.
    assert available_for(supply, MONDAY, due, [Promise(99, MONDAY - dt.timedelta(days=1))]) == 60


def test_delivery_today_or_before_is_past_and_lead_time_counts():
    supply = Supply(stock=100, lead_time_days=5)
    assert check_fit(supply, 1, MONDAY, MONDAY).misfit is Misfit.PAST
    assert check_fit(supply, 1, MONDAY, MONDAY + dt.timedelta(days=4)).misfit is Misfit.LEAD_TIME
    assert check_fit(supply, 1, MONDAY, MONDAY + dt.timedelta(days=5)).fits


def test_shelf_life_against_the_delivery_date():
    # Food from stock is already made: 30 days' shelf life, delivery in 25, 7 to spare: no.
    stocked = Supply(stock=100, shelf_life_days=30)
    due = MONDAY + dt.timedelta(days=25)
    assert check_fit(stocked, 10, MONDAY, due, min_shelf_days=7).misfit is Misfit.SHELF_LIFE
    assert check_fit(stocked, 10, MONDAY, MONDAY + dt.timedelta(days=20), min_shelf_days=7).fits
    # Made to order it is made just before delivery: only its own shelf life counts.
    fresh = Supply(stock=0, is_made_to_order=True, daily_capacity=50, shelf_life_days=30)
    assert check_fit(fresh, 10, MONDAY, due, min_shelf_days=7).fits
    short = Supply(stock=0, is_made_to_order=True, daily_capacity=50, shelf_life_days=5)
    assert check_fit(short, 10, MONDAY, due, min_shelf_days=7).misfit is Misfit.SHELF_LIFE


supplies = st.builds(
    Supply,
    stock=st.integers(0, 200),
    is_made_to_order=st.booleans(),
    daily_capacity=st.one_of(st.none(), st.integers(0, 40)),
)
requests = st.lists(st.tuples(st.integers(1, 300), st.integers(1, 40)), max_size=25)


# No deadline: how fast a loaded machine runs an example is not what these tests assert.
@settings(max_examples=300, deadline=None)
@given(supply=supplies, wanted=requests, today=st.dates(dt.date(2026, 1, 1), dt.date(2028, 1, 1)))
def test_holds_never_exceed_capacity_whatever_the_order_of_requests(supply, wanted, today):
    """Accept each request that fits, in any order: every promise can still be kept."""
    promises: list[Promise] = []
    for quantity, days in wanted:
        due = today + dt.timedelta(days=days)
        if check_fit(supply, quantity, today, due, promises).fits:
            promises.append(Promise(quantity, due))
    for deadline in {p.due_on for p in promises}:
        due_by_then = sum(p.quantity for p in promises if p.due_on <= deadline)
        assert due_by_then <= capacity_by(supply, today, deadline)


@settings(deadline=None)
@given(supply=supplies, wanted=requests)
def test_what_is_available_can_be_promised_and_no_more(supply, wanted):
    promises: list[Promise] = []
    for quantity, days in wanted:
        due = MONDAY + dt.timedelta(days=days)
        room = available_for(supply, MONDAY, due, promises)
        assert check_fit(supply, room, MONDAY, due, promises).fits or room == 0
        assert not check_fit(supply, room + 1, MONDAY, due, promises).fits
        if quantity <= room:
            promises.append(Promise(quantity, due))
