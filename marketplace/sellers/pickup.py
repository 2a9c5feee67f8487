"""Where couriers collect a household's parcels: a kecamatan of its kabupaten/kota and one
of that kecamatan's postal codes, from the official lists a buyer's address comes from
(``catalog.places``). Live courier rates and bookings start there; a household that set
none starts from its kabupaten/kota's seat (``orders.shipping.household_origin``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.catalog import places
from marketplace.catalog.models import Seller
from marketplace.db import db
from marketplace.errors import MarketplaceError, NotFound
from marketplace.numbers import is_ascii_digits


class PickupRefused(MarketplaceError):
    status_code = 400


def city_of(seller: Seller) -> str:
    """The household's kabupaten/kota as the region list writes it (``6571`` → ``65.71``)."""
    code = seller.region.code
    return f"{code[:2]}.{code[2:]}"


def districts_of(seller: Seller) -> tuple[places.Place, ...]:
    """The kecamatan a household may collect from: those of its own kabupaten/kota."""
    return places.children(city_of(seller))


def set_pickup_place(seller_id: int, district: str, postal_code: str) -> Seller:
    """Keep where couriers collect the household's parcels, both checked against the list;
    both empty: back to the kabupaten/kota's seat."""
    seller = db.session.get(Seller, seller_id)
    if seller is None:
        raise NotFound(_l("Toko tidak ditemukan."))
    district, postal_code = district.strip(), postal_code.strip()
    if district or postal_code:
        _check(seller, district, postal_code)
    seller.pickup_district, seller.pickup_postal_code = district, postal_code
    db.session.flush()
    return seller


def _check(seller: Seller, district: str, postal_code: str) -> None:
    city = city_of(seller)
    if not places.is_inside(district, city):
        raise PickupRefused(
            _l(
                "Pilih kecamatan di %(city)s dari daftar.",
                city=places.name_of(city) or seller.region.name,
            ),
            "district",
        )
    if not (len(postal_code) == 5 and is_ascii_digits(postal_code)):
        raise PickupRefused(_l("Kode pos terdiri dari 5 angka."), "postal_code")
    known = places.postal_codes(district)
    if known and postal_code not in known:
        raise PickupRefused(
            _l(
                "Kode pos %(code)s tidak dipakai di Kecamatan %(district)s: %(known)s.",
                code=postal_code,
                district=places.name_of(district),
                known=", ".join(known),
            ),
            "postal_code",
        )
