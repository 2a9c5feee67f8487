"""Dates written the Indonesian way (``2 Desember 2026``), on the day they fall on in WITA.

The one home of how a day is written: templates (filters ``tanggal``, ``hari_tanggal``,
``bulan``),
documents and messages all use these, in the locale Flask-Babel has in force.

A day is written once per process and language (``_written``): a table of orders writes
the same few days over and over, and Babel's formatting is the costly part of its rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from flask_babel import format_date

from marketplace.db import local_date
from marketplace.locales import current_language


def format_day(value: dt.date | dt.datetime) -> str:
    """``2 Desember 2026``: a moment on the day it falls on in WITA, a date as it is."""
    day = local_date(value) if isinstance(value, dt.datetime) else value
    return _written(day, current_language(), "long")


def days_written(days: Iterable[dt.date]) -> dict[dt.date, str]:
    """Each of ``days`` as ``format_day`` writes it, the language read once: the few days
    of a page's rows, each written once for the page."""
    language = current_language()
    return {day: _written(day, language, "long") for day in days}


def format_day_with_weekday(value: dt.date | dt.datetime) -> str:
    """``Senin, 14 Desember 2026``: a day a household waits for, with its weekday."""
    day = local_date(value) if isinstance(value, dt.datetime) else value
    return _written(day, current_language(), "EEEE, long")


def format_month(value: dt.date | dt.datetime) -> str:
    """``Desember 2026``: the month a moment falls in (WITA), or a date's."""
    day = local_date(value) if isinstance(value, dt.datetime) else value
    return _written(day.replace(day=1), current_language(), "MMMM yyyy")


@lru_cache(maxsize=4096)
def _written(day: dt.date, language: str, pattern: str) -> str:
    """``day`` in the request's language (``language``, the key: Babel reads the same locale)."""
    if pattern == "EEEE, long":
        return f"{format_date(day, 'EEEE')}, {format_date(day, 'long')}"
    return format_date(day, pattern)
