"""Can a household make it in time? Arithmetic on dates and quantities, then the database.

A household's supply for a due date is its stock plus, for made-to-order
goods, its daily capacity times the working days (Monday to Saturday) between
today and that date. Promises already made (holds) are served earliest due
date first, so a new promise fits only if, for its own due date and every
later one already promised, everything due by then still fits in what can be
made by then. That keeps every promise whatever order the requests come in.

One capacity serves two kinds of promise: an institution's hold (any working
day before its due date will do) and a shop order of a made-to-order product,
which checkout takes from one production day (``stock.take_production``). Units an
order took on a day count as a promise due the day after, so the gift-box
builder sees them, and checkout refuses units that would break a hold.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Misfit(enum.StrEnum):
    PAST = "past"
    LEAD_TIME = "lead_time"
    SHELF_LIFE = "shelf_life"
    CAPACITY = "capacity"
    #: the household's shop is closed (holiday mode) on the due date
    CLOSED = "closed"


@dataclass(frozen=True)
class Closure:
    """The household is away from ``starts_on`` through ``ends_on`` (WITA days)."""

    starts_on: dt.date
    ends_on: dt.date
    message: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Supply:
    stock: int
    is_made_to_order: bool = False
    daily_capacity: int | None = None
    lead_time_days: int = 0
    shelf_life_days: int | None = None
    #: the household's holidays: nothing is made, sold or delivered on those days
    closures: tuple[Closure, ...] = ()


def closure_on(supply: Supply, day: dt.date) -> Closure | None:
    """The closure the household is away on ``day``, if any."""
    return next((c for c in supply.closures if c.covers(day)), None)


def closed_for_sale(supply: Supply, today: dt.date) -> Closure | None:
    """Why a shop order placed today cannot be taken: the shop is closed today, or a
    made-to-order product would have to be made on a closed day. The one rule of holiday
    mode for the cart and checkout; the gift-box builder meets it through ``check_fit``."""
    if closed := closure_on(supply, today):
        return closed
    if supply.is_made_to_order:
        return closure_on(supply, production_day_for(supply.lead_time_days, today))
    return None


@dataclass(frozen=True)
class Promise:
    quantity: int
    due_on: dt.date


@dataclass(frozen=True)
class Fit:
    needed: int
    available: int
    misfit: Misfit | None = None

    @property
    def fits(self) -> bool:
        return self.misfit is None


def working_days(today: dt.date, due_on: dt.date, closures: tuple[Closure, ...] = ()) -> int:
    """Monday-to-Saturday days after ``today`` and before ``due_on`` (the production days),
    less the days the household is away."""
    days = (due_on - today).days - 1
    if days <= 0:
        return 0
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 6
    for offset in range(1, rest + 1):
        if (today + dt.timedelta(days=offset)).weekday() != 6:
            count += 1
    first, last = today + dt.timedelta(days=1), due_on - dt.timedelta(days=1)
    away = {
        closure.starts_on + dt.timedelta(days=n)
        for closure in closures
        for n in range((closure.ends_on - closure.starts_on).days + 1)
    }
    count -= sum(1 for day in away if first <= day <= last and day.weekday() != 6)
    return count


def capacity_by(supply: Supply, today: dt.date, due_on: dt.date) -> int:
    """Everything that can be ready by ``due_on``: stock plus production days."""
    made = 0
    if supply.is_made_to_order and supply.daily_capacity:
        made = supply.daily_capacity * working_days(today, due_on, supply.closures)
    return max(supply.stock, 0) + made


def first_new_day(supply: Supply, today: dt.date) -> dt.date:
    """The first day a new order can be made: after today, and not before the lead time."""
    return today + dt.timedelta(days=max(supply.lead_time_days, 1))


def new_capacity_by(supply: Supply, today: dt.date, due_on: dt.date) -> int:
    """What a promise made today can get by ``due_on``: stock plus the production days
    from the end of the lead time (the days before it serve earlier promises only)."""
    made = 0
    if supply.is_made_to_order and supply.daily_capacity:
        start = first_new_day(supply, today) - dt.timedelta(days=1)
        made = supply.daily_capacity * working_days(start, due_on, supply.closures)
    return max(supply.stock, 0) + made


def available_for(
    supply: Supply, today: dt.date, due_on: dt.date, promises: Iterable[Promise]
) -> int:
    """The most that can still be promised for ``due_on`` without breaking a promise.

    The one count of a product's capacity: the gift-box builder, a quote's submission and
    approval, checkout's production days and the public stock all ask it.
    """
    # Promises due before today are past production; they no longer compete.
    live = [p for p in promises if p.due_on >= today]
    deadlines = {due_on} | {p.due_on for p in live if p.due_on >= due_on}
    room = min(
        capacity_by(supply, today, deadline) - sum(p.quantity for p in live if p.due_on <= deadline)
        for deadline in deadlines
    )
    # A new promise cannot use the days inside the lead time, whatever is left of them.
    room = min(room, new_capacity_by(supply, today, due_on))
    return max(room, 0)


def check_fit(
    supply: Supply,
    needed: int,
    today: dt.date,
    due_on: dt.date,
    promises: Iterable[Promise] = (),
    min_shelf_days: int = 0,
) -> Fit:
    """Whether ``needed`` units can be ready on ``due_on``, and if not, why.

    Food must still keep ``min_shelf_days`` after delivery: made-to-order food is
    made just before, so only its shelf life counts; food from stock may already
    be made today, so the days until delivery count too.
    """
    available = available_for(supply, today, due_on, promises)
    if due_on <= today:
        return Fit(needed, available, Misfit.PAST)
    if closure_on(supply, due_on):
        return Fit(needed, available, Misfit.CLOSED)
    if due_on < today + dt.timedelta(days=supply.lead_time_days):
        return Fit(needed, available, Misfit.LEAD_TIME)
    if supply.shelf_life_days is not None:
        keeps_for = supply.shelf_life_days
        if not supply.is_made_to_order:
            keeps_for -= (due_on - today).days
        if keeps_for < min_shelf_days:
            return Fit(needed, available, Misfit.SHELF_LIFE)
    if available < needed:
        return Fit(needed, available, Misfit.CAPACITY)
    return Fit(needed, available)


def production_day_for(lead_time_days: int, today: dt.date) -> dt.date:
    """The day an order placed today is made: the first working day after the lead time."""
    day = today + dt.timedelta(days=max(lead_time_days, 0))
    return day + dt.timedelta(days=1) if day.weekday() == 6 else day
