"""Shipping cost (ongkir) per household, from a small table by destination zone and weight.

The table is the ``SHIPPING_RATES`` setting: for each zone, the price of the first
kilogram and of every further kilogram started, in whole rupiah. The zone comes from the
destination's Kemendagri codes (``marketplace.catalog.places``). The cart prices every
household's parcel with these two functions, for the checkout page, its live figures and
the order alike.
"""

from __future__ import annotations

import math

from flask import current_app

from marketplace.catalog import places

SAME_REGION = "same_region"
KALTARA = "kaltara"
KALIMANTAN = "kalimantan"
INDONESIA = "indonesia"

DEFAULT_RATES: dict[str, tuple[int, int]] = {
    SAME_REGION: (10_000, 5_000),
    KALTARA: (20_000, 10_000),
    KALIMANTAN: (35_000, 20_000),
    INDONESIA: (55_000, 35_000),
}


def is_same_region(city_code: str, seller_region_code: str) -> bool:
    """Whether the buyer's kabupaten/kota (``65.71``) is the household's (``6571``)."""
    return places.level(city_code) == 2 and places.bps_code(city_code) == seller_region_code


def shipping_zone(province_code: str, city_code: str, seller_region_code: str) -> str:
    """The zone of a parcel from a household to a kabupaten/kota (Kemendagri codes)."""
    if is_same_region(city_code, seller_region_code):
        return SAME_REGION
    if province_code == places.KALTARA:
        return KALTARA
    if province_code in places.KALIMANTAN:
        return KALIMANTAN
    return INDONESIA


def shipping_amount(zone: str, weight_grams: int) -> int:
    """Whole rupiah for one parcel: the first kilogram, then each further kilogram started."""
    rates = current_app.config.get("SHIPPING_RATES") or DEFAULT_RATES
    first, further = rates[zone]
    return first + (kilograms(weight_grams) - 1) * further


def kilograms(weight_grams: int) -> int:
    """The kilograms a parcel is charged for: every kilogram started, at least one."""
    return max(1, math.ceil(weight_grams / 1000))
