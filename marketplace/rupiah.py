"""Rupiah arithmetic and formatting: whole rupiah, always integers; the field that reads them."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from num2words import num2words
from wtforms.widgets import TextInput

from marketplace.numbers import (
    MAX_AMOUNT,
    NumberError,
    WholeNumberField,
    parse_whole,
    range_message,
)


def format_rupiah(amount: int) -> str:
    """``35000`` becomes ``Rp35.000``: Indonesian grouping, no decimals."""
    # a plain int (nearly every amount: a page writes dozens) is known at the first test
    if type(amount) is not int and (not isinstance(amount, int) or isinstance(amount, bool)):
        raise TypeError("rupiah amounts are whole integers")
    if amount < 0:
        return f"-Rp{-amount:,}".replace(",", ".")
    return f"Rp{amount:,}".replace(",", ".")


#: num2words says "satu ribu" for a thousands group of exactly one after a larger scale
#: (1.001.000: "satu juta satu ribu"); Indonesian says "seribu" there, as it does alone.
_ONE_THOUSAND = re.compile(r"(?<![a-z])((?:juta|miliar|triliun) )satu ribu\b")


def terbilang(amount: int) -> str:
    """``1250000`` becomes ``satu juta dua ratus lima puluh ribu rupiah``: the amount in
    words, as a kwitansi or an invoice writes it."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("rupiah amounts are whole integers")
    words = _ONE_THOUSAND.sub(r"\1seribu", num2words(abs(amount), lang="id"))
    return f"{'minus ' if amount < 0 else ''}{words} rupiah"


def parse_rupiah(text: str, maximum: int = MAX_AMOUNT) -> int:
    """Read what a person types for a price: ``35000``, ``35.000``, ``Rp 35.000``, ``35rb``.

    The one rule for numbers (marketplace/numbers.py) with grouping dots: sen
    (``35.000,50``), letters, signs and other digits (``²``) are refused with NumberError
    (a ValueError), and so is more than ``maximum``.
    """
    cleaned = text.strip().lower().removeprefix("rp").strip().replace(" ", "")
    thousands = False
    for suffix in ("ribu", "rb", "k"):
        if cleaned.endswith(suffix):
            cleaned, thousands = cleaned.removesuffix(suffix), True
            break
    if not thousands:
        return parse_whole(cleaned, maximum=maximum, grouping=True)
    amount = parse_whole(cleaned, maximum=maximum // 1000, grouping=True) * 1000
    return amount


class RupiahField(WholeNumberField):
    """A rupiah amount typed the Indonesian way: ``35.000``, ``Rp 35.000``, ``35rb``."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, maximum: int = MAX_AMOUNT, **kwargs):
        super().__init__(label, validators, minimum=0, maximum=maximum, **kwargs)

    def shown(self, value: int) -> str:
        return f"{value:,}".replace(",", ".")

    def parse(self, text: str) -> int:
        return parse_rupiah(text, self.maximum)

    def refusal(self, error: NumberError):
        if error.reason == "too_large":
            return range_message(error, 0, self.maximum, True)
        return _l("Tulis harga dalam rupiah tanpa sen, misalnya 35.000 atau 35rb.")


#: how a provider writes an amount: 150000, "150000", "150000.00" (never an exponent)
_SENT_AMOUNT = re.compile(r"([0-9]{1,15})(?:\.0{1,2})?")


def sent_rupiah(value: object, maximum: int = MAX_AMOUNT) -> int:
    """An amount a payment provider or a courier sends (``150000``, ``"150000.00"``) as whole
    rupiah, up to ``maximum``. ValueError for anything else: not a number, a fraction of a
    rupiah, a sign, an exponent, NaN or infinity, more than ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not whole rupiah")
        value = int(value)
    match = _SENT_AMOUNT.fullmatch(str(value))
    if match is None or int(match.group(1)) > maximum:
        raise ValueError(f"{value!r} is not an amount of whole rupiah")
    return int(match.group(1))
