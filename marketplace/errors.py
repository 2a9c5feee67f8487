"""Domain errors: services raise these, views turn them into clear messages."""

from __future__ import annotations

from collections.abc import Iterator


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
