"""Domain errors: services raise these, views turn them into clear messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l


class MarketplaceError(Exception):
    """A rule of the marketplace refused the operation; the message is for the user.

    A check that finds several problems at once raises the first, carrying the others in
    ``more`` (``Refusals`` collects them), so a form shows every problem in one answer.
    """

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.more: tuple[MarketplaceError, ...] = ()

    def every(self) -> Iterator[MarketplaceError]:
        """This refusal and the others found by the same check."""
        yield self
        yield from self.more


def clean_reason(
    text: str | None,
    *,
    maximum: int,
    missing: str,
    error: type[MarketplaceError] = MarketplaceError,
    required: bool = True,
) -> str:
    """A reason a person wrote for a decision, on one line: ``error`` (on the ``reason``
    field) says ``missing`` when it is required and empty, or when it is too long."""
    reason = " ".join((text or "").split())
    if required and not reason:
        raise error(missing, field="reason")
    if len(reason) > maximum:
        raise error(_l("Alasan paling banyak %(n)s karakter.", n=maximum), field="reason")
    return reason


class NotFound(MarketplaceError):
    status_code = 404


class Forbidden(MarketplaceError):
    status_code = 403


class Refusals:
    """Every problem one check finds, raised together: ``problems.add(Error(...))`` for each,
    then ``problems.raise_any()``."""

    def __init__(self) -> None:
        self.found: list[MarketplaceError] = []

    def add(self, error: MarketplaceError) -> None:
        self.found.append(error)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        if self.found:
            first, *others = self.found
            first.more = tuple(others)
            raise first


def check_days(
    problems: Refusals,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    today: dt.date,
    *,
    error: type[MarketplaceError],
    missing_start: str,
    missing_end: str,
    max_days: int,
    too_long: str,
) -> None:
    """The days of something from a first to a last day (a shop's closure, a promotion):
    the first given and not before ``today``, the last given, not before the first and less
    than ``max_days`` after it. Each problem is added to ``problems`` on its field, as
    ``error``, in the thing's own words where they differ (``missing_*``, ``too_long``)."""
    if starts_on is None:
        problems.add(error(missing_start, field="starts_on"))
    elif starts_on < today:
        problems.add(error(_l("Tanggal mulai tidak boleh sebelum hari ini."), field="starts_on"))
    if ends_on is None:
        problems.add(error(missing_end, field="ends_on"))
    elif starts_on is not None and ends_on < starts_on:
        problems.add(
            error(_l("Tanggal selesai tidak boleh sebelum tanggal mulai."), field="ends_on")
        )
    elif starts_on is not None and (ends_on - starts_on).days >= max_days:
        problems.add(error(too_long, field="ends_on"))
