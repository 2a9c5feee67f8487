"""Rupiah arithmetic and formatting: whole rupiah, always integers."""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """``35000`` becomes ``Rp35.000``: Indonesian grouping, no decimals."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("rupiah amounts are whole integers")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def parse_rupiah(text: str) -> int:
    """Read what a person types for a price: ``35000``, ``35.000``, ``Rp 35.000``, ``35rb``.

    Sen (``35.000,50``), letters and signs are refused with ValueError.
    """
    cleaned = text.strip().lower().removeprefix("rp").strip().replace(".", "").replace(" ", "")
    multiplier = 1
    for suffix in ("ribu", "rb", "k"):
        if cleaned.endswith(suffix):
            cleaned, multiplier = cleaned.removesuffix(suffix), 1000
            break
    if not cleaned.isdigit() or len(cleaned) > 15:
        raise ValueError("not a whole rupiah amount")
    return int(cleaned) * multiplier
