"""Shipping cost (ongkir) per household, from a small table by destination zone and weight.

The table is the ``SHIPPING_RATES`` setting: for each zone, the price of the first
kilogram and of every further kilogram started, in whole rupiah. The zone comes from the
destination's Kemendagri codes (``marketplace.catalog.places``). The cart prices every
household's parcel with these two functions, for the checkout page, its live figures and
the order alike.

Live couriers come through ONE seam, :class:`ShippingProvider`: ``rates(origin,
destination, parcel)`` answers the couriers' :class:`Rate` (courier, service, price,
estimated days), ``book(...)`` the waybill, ``retrieve(id)`` the booked parcel as it is now
and ``cancel(id, reason)`` its cancellation. The zone table is the default provider
(offline, always there); Biteship (``marketplace.shipping_gateway``) is used when
``BITESHIP_API_KEY`` is set. Where no courier reaches the destination (Krayan by air,
islands by boat) the zone-table price stands, with :data:`UNREACHABLE_NOTE`.
:func:`quotes` asks for several households at once, in parallel, each identical request
answered from a small in-process cache for ``SHIPPING_RATES_TTL`` seconds.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace import shipping_gateway
from marketplace.breaker import Breaker
from marketplace.catalog import places
from marketplace.locales import current_language

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


ZONE_COURIER = "zona"
UNREACHABLE_NOTE = _l(
    "Kurir ekspedisi tidak menjangkau alamat ini (hanya lewat pesawat atau kapal): ongkir "
    "memakai tabel zona, dan rumah tangga mengirim sendiri lalu mengisi nomor resinya."
)

UNAVAILABLE_NOTE = _l(
    "Tarif kurir sedang tidak bisa diambil: ongkir memakai tabel zona, dan rumah tangga "
    "memilih kurirnya."
)


@dataclass(frozen=True)
class Place:
    """One end of a parcel: its postal code, and the Kemendagri codes the zone table reads
    (``region_code`` is a household's kabupaten/kota as the catalogue writes it: ``6571``)."""

    postal_code: str
    province: str = ""
    city: str = ""
    region_code: str = ""


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    #: the goods' value in rupiah (the aggregator's insurance and COD read it)
    value: int = 0
    length_cm: int = 20
    width_cm: int = 15
    height_cm: int = 10


@dataclass(frozen=True)
class Rate:
    courier: str
    service: str
    price: int
    #: the longest estimated delivery, in days (0: not told)
    etd_days: int
    courier_code: str = ZONE_COURIER
    service_code: str = ""

    @property
    def key(self) -> str:
        """How a form names this rate: ``jne:reg``."""
        return f"{self.courier_code}:{self.service_code}"


@dataclass
class Quote:
    """What one household's parcel may travel by: live rates, or the zone table's."""

    rates: list[Rate]
    #: set when no courier reaches the destination and the zone table's price stands
    note: str = ""
    zone_rate: Rate | None = None

    @property
    def live(self) -> bool:
        return not self.note and bool(self.rates) and self.rates[0].courier_code != ZONE_COURIER

    def rate(self, key: str) -> Rate:
        """The rate chosen by ``key`` (``jne:reg``), else the cheapest."""
        for rate in self.rates:
            if rate.key == key:
                return rate
        return min(self.rates, key=lambda rate: rate.price)


@dataclass(frozen=True)
class BookingRequest:
    """What the courier needs to collect and deliver one household's parcel."""

    reference: str
    origin: Place
    origin_name: str
    origin_phone: str
    origin_address: str
    destination: Place
    destination_name: str
    destination_phone: str
    destination_address: str
    courier_code: str
    service_code: str
    parcel: Parcel
    items: list[dict[str, Any]] = field(default_factory=list)


class ShippingProvider(Protocol):
    name: str

    def rates(self, origin: Place, destination: Place, parcel: Parcel) -> list[Rate]: ...

    def book(self, request: BookingRequest) -> tuple[str, str]:
        """(the provider's order id, the waybill); ("", "") when it books nothing."""
        ...

    def retrieve(self, shipment_id: str) -> shipping_gateway.RetrievedOrder | None:
        """The booked parcel as the provider has it now; None when it knows none."""
        ...

    def cancel(self, shipment_id: str, reason: str) -> str:
        """Cancel the booking; the provider's status afterwards."""
        ...


@lru_cache(maxsize=16)
def _zone_courier(language: str) -> str:
    """The zone table's courier, named once per process and language (``language``, the
    key: the translation reads the same one); a cart asks for it once per household."""
    return str(_l("Kurir pilihan rumah tangga"))


def _zone_rate(origin: Place, destination: Place, parcel: Parcel, courier: str) -> Rate:
    """The zone table's rate for a parcel (``courier``: the table's courier, named)."""
    zone = shipping_zone(destination.province, destination.city, origin.region_code)
    price = shipping_amount(zone, parcel.weight_grams)
    return Rate(courier, zone, price, 0, ZONE_COURIER, zone)


class ZoneTable:
    """Today's table by zone and weight: always there, books nothing (resi by hand)."""

    name = "zone"

    def rates(self, origin: Place, destination: Place, parcel: Parcel) -> list[Rate]:
        return [_zone_rate(origin, destination, parcel, _zone_courier(current_language()))]

    def book(self, request: BookingRequest) -> tuple[str, str]:
        return "", ""

    def retrieve(self, shipment_id: str) -> shipping_gateway.RetrievedOrder | None:
        return None

    def cancel(self, shipment_id: str, reason: str) -> str:
        raise shipping_gateway.AggregatorError("no courier aggregator is configured")


def _items(parcel: Parcel) -> list[dict[str, Any]]:
    return [
        {
            "name": "Oleh-oleh",
            "value": parcel.value,
            "length": parcel.length_cm,
            "width": parcel.width_cm,
            "height": parcel.height_cm,
            "weight": max(1, parcel.weight_grams),
            "quantity": 1,
        }
    ]


class Biteship:
    """The couriers through Biteship (``marketplace.shipping_gateway``)."""

    name = "biteship"

    def __init__(self, client: shipping_gateway.BiteshipClient, couriers: str):
        self.client = client
        self.couriers = couriers

    def rates(self, origin: Place, destination: Place, parcel: Parcel) -> list[Rate]:
        if not (origin.postal_code and destination.postal_code):
            return []
        found = self.client.rates(
            origin.postal_code, destination.postal_code, _items(parcel), self.couriers
        )
        return [
            Rate(
                courier=rate.courier_name,
                service=rate.service_name or rate.service_code,
                price=rate.price,
                etd_days=rate.etd_days,
                courier_code=rate.courier_code,
                service_code=rate.service_code,
            )
            for rate in found
        ]

    def book(self, request: BookingRequest) -> tuple[str, str]:
        booking = self.client.create_order(
            {
                "reference_id": request.reference,
                "shipper_contact_name": request.origin_name,
                "shipper_contact_phone": request.origin_phone,
                "origin_contact_name": request.origin_name,
                "origin_contact_phone": request.origin_phone,
                "origin_address": request.origin_address,
                "origin_postal_code": int(request.origin.postal_code),
                "destination_contact_name": request.destination_name,
                "destination_contact_phone": request.destination_phone,
                "destination_address": request.destination_address,
                "destination_postal_code": int(request.destination.postal_code),
                "courier_company": request.courier_code,
                "courier_type": request.service_code,
                "delivery_type": "now",
                "items": request.items or _items(request.parcel),
            }
        )
        return booking.order_id, booking.waybill_id

    def retrieve(self, shipment_id: str) -> shipping_gateway.RetrievedOrder | None:
        return self.client.retrieve_order(shipment_id)

    def cancel(self, shipment_id: str, reason: str) -> str:
        return self.client.cancel_order(shipment_id, reason)


def provider() -> ShippingProvider:
    """The live provider when configured (``BITESHIP_API_KEY``), else the zone table."""
    config = current_app.config
    if not config.get("BITESHIP_API_KEY"):
        return ZoneTable()
    client = shipping_gateway.BiteshipClient(
        config["BITESHIP_API_KEY"], config.get("BITESHIP_API_BASE", "")
    )
    return Biteship(client, config.get("BITESHIP_COURIERS") or shipping_gateway.DEFAULT_COURIERS)


#: the postal code of each Kaltara kabupaten/kota's seat, where the parcel of a household
#: that set no pickup place of its own starts
SEAT_POSTAL_CODES = {
    "6501": "77212",  # Tanjung Selor
    "6502": "77550",  # Malinau Kota
    "6503": "77482",  # Nunukan
    "6504": "77151",  # Sesayap (Tideng Pale)
    "6571": "77111",  # Tarakan Barat
}


def household_origin(region_code: str, pickup_postal_code: str = "") -> Place:
    """A household's end of the parcel: its kabupaten/kota (``6571``) and the postal code of
    its pickup place (``sellers.pickup``), else of its seat (elsewhere: the first the place
    list knows there)."""
    city = f"{region_code[:2]}.{region_code[2:]}"
    postal_code = (
        pickup_postal_code
        or SEAT_POSTAL_CODES.get(region_code)
        or min(
            (
                code
                for district in places.children(city)
                for code in places.postal_codes(district.code)
            ),
            default="",
        )
    )
    return Place(postal_code, places.province_of(city), city, region_code)


_cache: dict[tuple, tuple[float, list[Rate]]] = {}
_cache_lock = threading.Lock()
#: after the aggregator fails to answer, the zone table prices every parcel for a while
#: instead of each checkout page waiting on its timeout
_breaker = Breaker("shipping-aggregator", pause=30)


def clear_cache() -> None:
    """Forget the cached rates and any failure of the aggregator (tests, a new key)."""
    with _cache_lock:
        _cache.clear()
    _breaker.succeeded()


def _cached_rates(
    live: ShippingProvider, origin: Place, destination: Place, parcel: Parcel, ttl: float
) -> list[Rate] | None:
    """The live rates ([] when no courier reaches), or None when the aggregator failed."""
    key = (live.name, origin.postal_code, destination.postal_code, parcel.weight_grams)
    now = time.monotonic()
    with _cache_lock:
        found = _cache.get(key)
    if found and found[0] > now:
        return found[1]
    if not _breaker.allows():
        return None  # the aggregator failed a moment ago: the zone table, at once
    try:
        rates = live.rates(origin, destination, parcel)
    except shipping_gateway.AggregatorError as error:
        _breaker.failed(error)
        return None  # not cached: asked again once the pause is over
    _breaker.succeeded()
    with _cache_lock:
        _cache[key] = (now + ttl, rates)
    return rates


def quotes(requests: list[tuple[Place, Place, Parcel]]) -> list[Quote]:
    """Each household's quote, the live provider asked for all of them in parallel; where it
    has nothing (not configured, down, or no courier reaches), the zone table's price."""
    courier = _zone_courier(current_language())  # named once for every household
    zone_rates = [_zone_rate(*request, courier) for request in requests]
    live = provider()
    if isinstance(live, ZoneTable) or not requests:
        return [Quote([rate], zone_rate=rate) for rate in zone_rates]
    ttl = float(current_app.config.get("SHIPPING_RATES_TTL", 600))
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def ask(request: tuple[Place, Place, Parcel]) -> list[Rate] | None:
        with app.app_context():
            return _cached_rates(live, *request, ttl)

    with ThreadPoolExecutor(max_workers=min(8, len(requests))) as pool:
        found = list(pool.map(ask, requests))
    return [
        Quote(sorted(rates, key=lambda rate: rate.price), zone_rate=zone)
        if rates
        else Quote(
            [zone],
            note=str(UNAVAILABLE_NOTE if rates is None else UNREACHABLE_NOTE),
            zone_rate=zone,
        )
        for rates, zone in zip(found, zone_rates, strict=True)
    ]
