"""A signed-in buyer's address book: saved addresses, checked by the checkout's own rules."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, func, select

from marketplace.accounts.models import User
from marketplace.catalog import places
from marketplace.db import db, lock_row, read_rows
from marketplace.errors import NotFound, Refusals
from marketplace.numbers import parse_id
from marketplace.once import IncompleteForm, create_once, made_before
from marketplace.orders.checkout import CheckoutDetails, clean_details
from marketplace.orders.models import Delivery, SavedAddress
from marketplace.orders.stock import CheckoutError

MAX_ADDRESSES = 10
FIELDS = ("label", "name", "whatsapp", "province", "city", "district", "street", "postal_code")


def list_addresses(user_id: int) -> list[SavedAddress]:
    return list(db.session.scalars(_addresses_statement(), {"user_id": user_id}))


@cache
def _addresses_statement():
    """``list_addresses``' statement, built once."""
    return (
        select(SavedAddress)
        .where(SavedAddress.user_id == bindparam("user_id"))
        .order_by(SavedAddress.id)
    )


def address_rows(user_id: int) -> list[Row]:
    """``list_addresses`` as rows of their id and ``FIELDS`` (read by name, as the objects'
    attributes), past the ORM's loading: the checkout only reads them, on every request."""
    return read_rows(_address_rows_statement(), {"user_id": user_id}).all()


@cache
def _address_rows_statement():
    """``address_rows``' statement, built once."""
    columns = [getattr(SavedAddress, name) for name in ("id", *FIELDS)]
    return (
        select(*columns)
        .where(SavedAddress.user_id == bindparam("user_id"))
        .order_by(SavedAddress.id)
    )


def get_address_for_buyer(address_id: object, user_id: int) -> SavedAddress:
    """One of the buyer's own addresses; another's, or no such id, is a 404."""
    address = db.session.get(SavedAddress, parse_id(address_id) or 0)
    if address is None or address.user_id != user_id:
        raise NotFound(_l("Alamat tidak ditemukan."))
    return address


def _checked(values: dict[str, str]) -> dict[str, str]:
    """The address as the checkout would take it for shipping, every problem at once."""
    label = " ".join((values.get("label") or "").split())
    problems = Refusals()
    if not label:
        problems.add(CheckoutError(_l("Beri nama alamat ini, misalnya Rumah."), field="label"))
    elif len(label) > 40:
        problems.add(CheckoutError(_l("Nama alamat paling banyak 40 karakter."), field="label"))
    try:
        details = clean_details(
            CheckoutDetails(
                name=values.get("name") or "",
                email="",
                whatsapp=values.get("whatsapp") or "",
                delivery=Delivery.SHIP.value,
                province=values.get("province") or "",
                city=values.get("city") or "",
                district=values.get("district") or "",
                street=values.get("street") or "",
                postal_code=values.get("postal_code") or "",
            )
        )
    except CheckoutError as error:
        for refusal in error.every():
            problems.add(refusal)
    problems.raise_any()
    return {"label": label, **{name: getattr(details, name) for name in FIELDS[1:]}}


def save_address(
    user_id: int, values: dict[str, str], address_id: int | None = None, token: str | None = None
) -> SavedAddress:
    """Add an address to the buyer's book, or change one of theirs.

    A new one is added once per form sent (``token``): "Simpan alamat" pressed twice on a
    slow connection keeps one address. At most ``MAX_ADDRESSES``, however many are sent at
    once: the buyer's row is taken first.
    """
    checked = _checked(values)
    if address_id is None:
        lock_row(User, user_id)  # of two new addresses at once, the second counts the first
        count = db.session.scalar(
            select(func.count()).select_from(SavedAddress).where(SavedAddress.user_id == user_id)
        )
        if count >= MAX_ADDRESSES and made_before(SavedAddress, token) is None:
            raise CheckoutError(_l("Paling banyak %(n)s alamat tersimpan.", n=MAX_ADDRESSES))
        address, _created = create_once(SavedAddress(user_id=user_id, **checked), token)
        if address.user_id != user_id:  # a token is the page's own: never another's address
            raise IncompleteForm(_l("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
    else:
        address = get_address_for_buyer(address_id, user_id)
        for name, value in checked.items():
            setattr(address, name, value)
    db.session.flush()
    return address


def delete_address(user_id: int, address_id: int) -> None:
    db.session.delete(get_address_for_buyer(address_id, user_id))
    db.session.flush()


def describe(address: SavedAddress) -> str:
    """The address on one line, regions by their official names."""
    regions = [places.name_of(code) or "" for code in (address.district, address.city)]
    return ", ".join([address.street, *regions, address.postal_code])
