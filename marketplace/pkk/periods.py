"""The report's periods: whole months in Kalimantan Utara's clock (WITA), and their days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, literal

#: Kalimantan Utara keeps WITA (UTC+8) all year: a report's days are local days.
WITA = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Period:
    """Local days from ``start`` to ``end``, both included; ``region_id`` None is the province."""

    start: dt.date
    end: dt.date
    region_id: int | None = None

    @property
    def start_at(self) -> dt.datetime:
        return start_of_day(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return start_of_day(self.end + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        return month_range(self.start, self.end)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month`` (before, when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_index(column, months: list[dt.date]):
    """SQL: the index in ``months`` (consecutive local months) of the moment in ``column``.

    Compares with each month's local start, so it is the same on SQLite and PostgreSQL and
    needs no time-zone function; moments outside the months must be filtered out.
    """
    whens = [(column < start_of_day(add_months(month, 1)), i) for i, month in enumerate(months)]
    return case(*whens[:-1], else_=len(months) - 1) if len(months) > 1 else literal(0)


def start_of_day(day: dt.date) -> dt.datetime:
    """Local midnight of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(), WITA).astimezone(dt.UTC)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(WITA).date()


def month_of(moment: dt.datetime) -> dt.date:
    return local_day(moment).replace(day=1)
