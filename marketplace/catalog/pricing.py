"""What a product sells for now, and what of a sale is the platform's commission."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from marketplace.catalog.models import Product

DEFAULT_COMMISSION_RATE_BP = 500
FULL_BP = 10_000


def commission_rate_bp(products: Iterable[Product]) -> int:
    """The rate to freeze on a part at the time of sale.

    ``COMMISSION_CATEGORY_BP`` overrides the platform's ``COMMISSION_RATE_BP`` for a
    category; a part whose products all share one overridden rate gets it, any
    other part gets the platform rate.
    """
    default = int(current_app.config.get("COMMISSION_RATE_BP", DEFAULT_COMMISSION_RATE_BP))
    overrides: dict[str, int] = current_app.config.get("COMMISSION_CATEGORY_BP") or {}
    rates = {overrides.get(product.category.slug, default) for product in products}
    rate = rates.pop() if len(rates) == 1 else default
    if not 0 <= rate <= FULL_BP:
        raise ValueError("a commission rate is between 0 and 10000 basis points")
    return rate
