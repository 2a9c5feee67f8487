"""Shipping cost (ongkir) per household, from a small table by destination zone and weight.

The table is the ``SHIPPING_RATES`` setting: for each zone, the price of the first
kilogram and of every further kilogram started, in whole rupiah.
"""

from __future__ import annotations

import math

from flask import current_app

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

KALTARA_PROVINCE = "Kalimantan Utara"
KALIMANTAN_PROVINCES = frozenset(
    {"Kalimantan Barat", "Kalimantan Tengah", "Kalimantan Selatan", "Kalimantan Timur"}
)

PROVINCES = (
    "Aceh",
    "Sumatera Utara",
    "Sumatera Barat",
    "Riau",
    "Kepulauan Riau",
    "Jambi",
    "Bengkulu",
    "Sumatera Selatan",
    "Kepulauan Bangka Belitung",
    "Lampung",
    "Banten",
    "DKI Jakarta",
    "Jawa Barat",
    "Jawa Tengah",
    "DI Yogyakarta",
    "Jawa Timur",
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Barat",
    "Kalimantan Tengah",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Gorontalo",
    "Sulawesi Tengah",
    "Sulawesi Barat",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Maluku",
    "Maluku Utara",
    "Papua",
    "Papua Barat",
    "Papua Barat Daya",
    "Papua Tengah",
    "Papua Pegunungan",
    "Papua Selatan",
)


def normalise_city(name: str) -> str:
    """``Kota Tarakan``, ``kab. bulungan`` and ``Bulungan`` compare as the same place."""
    cleaned = " ".join(name.lower().replace(".", " ").split())
    for prefix in ("kabupaten ", "kab ", "kota "):
        cleaned = cleaned.removeprefix(prefix)
    return cleaned


def is_same_region(province: str, city: str, seller_region_name: str) -> bool:
    return province == KALTARA_PROVINCE and normalise_city(city) == normalise_city(
        seller_region_name
    )


def shipping_zone(province: str, city: str, seller_region_name: str) -> str:
    if is_same_region(province, city, seller_region_name):
        return SAME_REGION
    if province == KALTARA_PROVINCE:
        return KALTARA
    if province in KALIMANTAN_PROVINCES:
        return KALIMANTAN
    return INDONESIA


def shipping_amount(zone: str, weight_grams: int) -> int:
    """Whole rupiah for one parcel: the first kilogram, then each further kilogram started."""
    rates = current_app.config.get("SHIPPING_RATES") or DEFAULT_RATES
    first, further = rates[zone]
    kilograms = max(1, math.ceil(weight_grams / 1000))
    return first + (kilograms - 1) * further
