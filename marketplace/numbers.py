"""The one rule for whole numbers from outside: URLs, query strings, forms, files, events.

ASCII digits only (full-width ``１２`` is read as ``12``: some Indonesian and Japanese
keyboards type it); ``²``, ``①``, Arabic-Indic ``١٢`` and every other digit-like
character are refused, where ``str.isdigit()`` and ``int()`` would take some of them.
Grouping dots (``35.000``) only where the field is a rupiah amount. The value is bounded
by the column it ends in: an id beyond ``INTEGER`` names no row (a 404 in a URL), a
quantity or amount beyond a sane maximum is refused with a message that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter, ValidationError
from wtforms import Field, SelectField, SelectMultipleField
from wtforms.widgets import HiddenInput, NumberInput

#: the largest value of an ``INTEGER`` column (ids, quantities, stock) on PostgreSQL
INT_MAX = 2**31 - 1
#: the largest rupiah amount anyone types (Rp1 trillion): ``BIGINT`` holds far more
MAX_AMOUNT = 10**12

_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")


class NumberError(ValueError):
    """Not a whole number as the site reads them (``reason`` "format"), or out of range
    ("too_small", "too_large")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_whole(
    text: object, *, minimum: int = 0, maximum: int = INT_MAX, grouping: bool = False
) -> int:
    """``text`` as a whole number between ``minimum`` and ``maximum``, or NumberError."""
    if not isinstance(text, str):
        raise NumberError("format")
    digits = text.strip().translate(_FULL_WIDTH)
    if grouping and _GROUPED.fullmatch(digits):
        digits = digits.replace(".", "")
    if not _DIGITS.fullmatch(digits):
        raise NumberError("format")
    # Checked on the digits before int(): a 5,000-digit number costs nothing to refuse.
    if len(digits.lstrip("0")) > len(str(maximum)) or int(digits) > maximum:
        raise NumberError("too_large")
    if int(digits) < minimum:
        raise NumberError("too_small")
    return int(digits)


def parse_id(text: object) -> int | None:
    """A row id from outside, or None when it cannot name a row (anything not an id, and
    0: every table numbers its rows from 1)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if 1 <= text <= INT_MAX else None
    try:
        return parse_whole(text, minimum=1)
    except NumberError:
        return None


def parse_ids(values: Iterable[object], limit: int) -> list[int]:
    """The ids among ``values`` (at most ``limit`` looked at); the rest name nothing."""
    ids = (parse_id(value) for value in list(values)[:limit])
    return [value for value in ids if value is not None]


def numbers_by_id(
    formdata: Mapping[str, str], prefix: str, *, maximum: int = INT_MAX
) -> dict[int, int | None]:
    """Fields named ``<prefix><id>`` as {id: number}; None where the number is not one.

    A name whose id is not an id is no field of the form, and is ignored like any other.
    """
    found: dict[int, int | None] = {}
    for key, value in formdata.items():
        if key.startswith(prefix) and (row := parse_id(key.removeprefix(prefix))) is not None:
            try:
                found[row] = parse_whole(value, maximum=maximum)
            except NumberError:
                found[row] = None
    return found


def is_ascii_digits(text: str) -> bool:
    """A code made of digits (a postal code, an account number): ASCII ones only."""
    return _DIGITS.fullmatch(text) is not None


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: a row id; anything beyond ``INTEGER`` is a 404.

    Werkzeug's ``<id:>`` matches any Unicode decimal digit (``/pesanan/١٢``) and passes
    2**31 and beyond to the database, where PostgreSQL refuses it (and SQLite past 2**63).
    """

    regex = r"[0-9]+"
    weight = 50

    def to_python(self, value: str) -> int:
        row = parse_id(value)
        if row is None:
            raise ValidationError()
        return row

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def register_converters(app) -> None:
    """Before any blueprint: routes are compiled with the converters known then."""
    app.url_map.converters["id"] = IdConverter


# --- form fields: WTForms' own say "Not a valid integer value." in English --------------


def range_message(error: NumberError, minimum: int, maximum: int, grouping: bool):
    shown = f"{maximum:,}".replace(",", ".") if grouping else str(maximum)
    if error.reason == "too_large":
        return _l("Angka ini terlalu besar: paling banyak %(n)s.", n=shown)
    if error.reason == "too_small":
        return _l("Paling sedikit %(n)s.", n=minimum)
    return _l("Isi dengan angka bulat, misalnya 12.")


class WholeNumberField(Field):
    """A whole number typed on a phone; the form keeps what was typed when it is refused."""

    widget = NumberInput(min=0)

    def __init__(
        self, label=None, validators=None, *, minimum: int = 0, maximum: int = 999_999_999, **kw
    ):
        super().__init__(label, validators, **kw)
        self.minimum, self.maximum = minimum, maximum

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.shown(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0] if valuelist else ""
        if not text.strip():
            return
        try:
            self.data = self.parse(text)
        except NumberError as error:
            raise ValueError(self.refusal(error)) from None

    # A field that reads numbers its own way (rupiah) changes these three.
    def shown(self, value: int) -> str:
        return str(value)

    def parse(self, text: str) -> int:
        return parse_whole(text, minimum=self.minimum, maximum=self.maximum)

    def refusal(self, error: NumberError):
        return range_message(error, self.minimum, self.maximum, False)


def _id_or_none(value: object) -> int | None:
    return parse_id(value) if value not in (None, "") else None


class IdField(Field):
    """A row's id in a hidden field; anything else is "not a row" (``data`` None, an error)."""

    widget = HiddenInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = _id_or_none(valuelist[0] if valuelist else None)
        if self.data is None and valuelist and valuelist[0].strip():
            raise ValueError(_l("Pilih dari daftar."))


class IdSelectField(SelectField):
    """A choice of a row by its id. The choices are checked by the service, which knows
    which rows may be chosen; here only that the value can be an id at all."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=_id_or_none, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = _id_or_none(valuelist[0])
        if self.data is None and valuelist[0].strip():
            raise ValueError(_l("Pilih dari daftar."))


class IdMultipleField(SelectMultipleField):
    """Several rows ticked by their ids (at most ``limit``); one that is no id is refused."""

    def __init__(self, label=None, validators=None, *, limit: int = 500, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=_id_or_none, **kwargs)
        self.limit = limit

    def process_formdata(self, valuelist):
        values = valuelist[: self.limit]
        self.data = parse_ids(values, self.limit)
        if len(self.data) != len([v for v in values if v.strip()]):
            raise ValueError(_l("Pilih dari daftar."))
