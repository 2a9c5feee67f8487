"""Commission: a rate frozen on each part at the sale, split in whole rupiah that add up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.money.services import commission_split, split_largest_remainder
from tests import factories


@given(
    total=st.integers(min_value=-(10**15), max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(
        any
    ),
)
def test_the_shares_always_add_up_to_the_total(total, weights):
    shares = split_largest_remainder(total, weights)
    assert sum(shares) == total
    assert len(shares) == len(weights)
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        # each share is within one rupiah of its exact proportion
        assert abs(share * weight_sum - total * weight) < weight_sum
        if weight == 0:
            assert share == 0


@given(
    items=st.integers(min_value=0, max_value=10**13),
    rate=st.integers(min_value=0, max_value=10_000),
)
def test_commission_and_share_add_up_to_the_goods(items, rate):
    commission, share = commission_split(items, rate)
    assert commission + share == items
    assert commission >= 0 and share >= 0


def test_worked_examples():
    assert commission_split(35_000, 500) == (1_750, 33_250)
    # 5% of 33.333 is 1.666,65: the largest remainder gives the rupiah to the commission
    assert commission_split(33_333, 500) == (1_667, 31_666)
    assert commission_split(10_000, 0) == (0, 10_000)
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    with pytest.raises(ValueError):
        split_largest_remainder(5, [0, 0])


def test_the_rate_is_frozen_on_the_part_at_the_sale(app):
    product = factories.make_product(price=20_000, category_slug="anyaman")
    app.config["COMMISSION_CATEGORY_BP"] = {"anyaman": 250}
    try:
        order = factories.make_order((product, 1))
    finally:
        app.config["COMMISSION_CATEGORY_BP"] = {}
    assert order.parts[0].commission_rate_bp == 250
    # a later change of the setting does not touch the part already sold
    assert factories.make_order((product, 1)).parts[0].commission_rate_bp == 500
    assert order.parts[0].commission_rate_bp == 250


def test_mixed_categories_take_the_platform_rate(app):
    seller = factories.make_seller()
    basket = factories.make_product(seller=seller, category_slug="anyaman")
    other = factories.make_product(seller=seller, category_slug="kerajinan")
    app.config["COMMISSION_RATE_BP"] = 400
    app.config["COMMISSION_CATEGORY_BP"] = {"anyaman": 0}
    try:
        mixed = factories.make_order((basket, 1), (other, 1))
        only_baskets = factories.make_order((basket, 1))
    finally:
        app.config["COMMISSION_RATE_BP"] = 500
        app.config["COMMISSION_CATEGORY_BP"] = {}
    assert mixed.parts[0].commission_rate_bp == 400
    assert only_baskets.parts[0].commission_rate_bp == 0
