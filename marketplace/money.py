"""Rupiah arithmetic and formatting: whole rupiah, always integers."""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """``35000`` becomes ``Rp35.000``: Indonesian grouping, no decimals."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("rupiah amounts are whole integers")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def parse_rupiah(text: str) -> int:
    """Read what a person types for a price: ``35000``, ``35.000``, ``Rp 35.000``."""
    cleaned = text.strip().lower().removeprefix("rp").strip().replace(".", "").replace(" ", "")
    if not cleaned.isdigit():
        raise ValueError("not a whole rupiah amount")
    return int(cleaned)
