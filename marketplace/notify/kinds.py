"""The kinds of message: each domain registers how its messages are written.

A kind writes its message from plain values (the notification's ``context``), in the
language Flask-Babel has in force: the reader's, when the message is sent or shown. The
seam never imports a domain; the domains register here when they are imported (the app
factory imports every one, so a worker knows every kind).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from marketplace.dates import format_day


@dataclass(frozen=True)
class Message:
    """A message as a person reads it."""

    title: str
    lines: list[str]
    #: the approved WhatsApp template's body parameters, in their order ({{1}}, {{2}}, …)
    params: list[str] = field(default_factory=list)
    #: a word that sets it apart in the inbox ("Pesanan instansi")
    mark: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    write: Callable[[dict], Message]
    #: the name of the approved WhatsApp template (one per language); None: not on WhatsApp
    template: str | None = None


KINDS: dict[str, Kind] = {}


def message_kind(name: str, *, template: str | None = None):
    """Register ``func(context) -> Message`` as the writer of messages of kind ``name``."""

    def register(func: Callable[[dict], Message]) -> Callable[[dict], Message]:
        KINDS[name] = Kind(name, func, template)
        return func

    return register


def day(value: str | dt.date | dt.datetime) -> str:
    """``2 Desember 2026`` from a context's ISO date or moment (a moment on its WITA day)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    return format_day(value)


def plain(value):
    """A value as a context keeps it (JSON): dates as ISO text, lists and dicts through."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(each) for each in value]
    if isinstance(value, dict):
        return {str(key): plain(each) for key, each in value.items()}
    return value
