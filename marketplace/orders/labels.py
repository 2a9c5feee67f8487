"""How the order pages name things: an order's or part's status, who cancelled a part, the
courier's tracking steps (the templates' filters ``order_status``, ``cancelled_by`` and
``shipment_status``), the households of the cart and of the checkout summary
(``cart_groups``, ``summary_groups``)."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from marketplace.locales import current_language, current_translations
from marketplace.orders.cart_lines import Cart, CartGroup
from marketplace.rupiah import format_rupiah

STATUS_LABELS = {
    "awaiting_payment": _l("Menunggu pembayaran"),
    "paid": _l("Dibayar"),
    "expired": _l("Kedaluwarsa (tidak dibayar dalam 30 menit)"),
    "refunded": _l("Dana dikembalikan"),
    "refunded_in_full": _l("Dibatalkan, dana dikembalikan seluruhnya"),
    "refund": _l("Dana dikembalikan"),
    "pending": _l("Menunggu pembayaran"),
    "new": _l("Pesanan baru, menunggu penjual"),
    "accepted": _l("Diterima penjual, sedang disiapkan"),
    "shipped": _l("Dikirim"),
    "ready_for_pickup": _l("Siap diambil"),
    "delivered": _l("Sampai di pembeli"),
    "cancelled": _l("Dibatalkan"),
    "invoiced": _l("Pesanan instansi, dibayar dengan tagihan"),
    "produced": _l("Sudah dibuat"),
    "packed": _l("Sudah dikemas"),
}


#: who cancelled a household's part, as the household reads it
CANCELLED_BY = {
    "buyer": _l("Dibatalkan oleh pembeli"),
    "seller": _l("Anda menolak pesanan ini"),
    "admin": _l("Dibatalkan oleh admin Pasar"),
    "payment": _l("Dibatalkan: pembayaran tidak dapat diproses"),
    "officer": _l("Dibatalkan oleh staf protokol"),
    "system": _l("Dibatalkan otomatis"),
}


#: who moved an order when no account did (a visitor, the gateway, the clock)
ACTOR_LABELS = {
    "system": _l("sistem"),
    "payment": _l("Pembayaran"),
    "buyer": _l("Pembeli"),
    "seller": _l("Penjual"),
    "admin": _l("Admin"),
    "officer": _l("Staf protokol"),
}


def actor_label(kind: str) -> str:
    """Who moved an order (``OrderEvent.actor_kind``) in words."""
    return str(ACTOR_LABELS.get(kind, kind))


def address_line(place) -> str:
    """Where an order goes, in one line (an order, or a page's row of it): street,
    kecamatan, city, then province and postal code, each written only when given; a
    government order's delivery place is its street alone."""
    region = " ".join(part for part in (place.province, place.postal_code) if part)
    return ", ".join(part for part in (place.street, place.district, place.city, region) if part)


def cancelled_by_label(actor_kind: str) -> str:
    return str(CANCELLED_BY.get(actor_kind, STATUS_LABELS["cancelled"]))


#: the courier's tracking steps (Biteship's order statuses) as a buyer reads them
SHIPMENT_LABELS = {
    "confirmed": _l("Kurir dipesan"),
    "allocated": _l("Kurir ditugaskan"),
    "picking_up": _l("Kurir menuju rumah penjual"),
    "picked": _l("Paket diambil kurir"),
    "dropping_off": _l("Paket dalam perjalanan ke alamat Anda"),
    "delivered": _l("Paket sampai"),
    "on_hold": _l("Pengiriman tertahan"),
    "return_in_transit": _l("Paket dikembalikan ke penjual"),
    "returned": _l("Paket kembali ke penjual"),
    "cancelled": _l("Pengiriman dibatalkan"),
}


def shipment_status_label(status: str) -> str:
    return str(SHIPMENT_LABELS.get(status, status))


def order_status_label(status: str) -> str:
    return _status_label(status, current_language())


@lru_cache(maxsize=256)
def _status_label(status: str, language: str) -> str:
    """Each status translated once per process and language (``language``, the key: the
    translation reads the same one); a household's inbox names one per part."""
    return str(STATUS_LABELS.get(status, status))


class SummaryGroup(NamedTuple):
    """A household's block of the checkout's order summary: its words and amounts as the
    page writes them (text, escaped where written), unpacked by the page in this order."""

    seller_id: int
    shop_name: str
    #: "Ambil sendiri di rumah <toko>, <kelurahan> (tanpa ongkir)": the pickup box's label
    pickup_label: str
    #: "Dikirim terpisah dari <kabupaten/kota>, <n> kg."
    parcel_label: str
    #: each line's quantity, name and amount written ("Rp35.000")
    lines: list[tuple[int, str, str]]
    items_amount: str
    #: the parcel's shipping written, or "Ambil sendiri" when collected
    shipping: str
    #: the household's part as priced: collected or not, its couriers' rates
    group: CartGroup


def summary_groups(cart: Cart) -> list[SummaryGroup]:
    """The summary's households in one pass, their sentences from translations looked up
    once for the page (a template asks again for each household), every amount written by
    ``format_rupiah``."""
    # ``gettext`` as pybabel finds it: the request's catalogue, looked up once
    gettext = current_translations().ugettext
    pickup_at = gettext("Ambil sendiri di rumah %(shop)s, %(village)s (tanpa ongkir)")
    sent_from = gettext("Dikirim terpisah dari %(region)s, %(kg)s kg.")
    collected = gettext("Ambil sendiri")
    groups = []
    for group in cart.groups:
        seller = group.seller
        shop_name = seller.shop_name
        groups.append(
            SummaryGroup(
                seller.id,
                shop_name,
                pickup_at % {"shop": shop_name, "village": seller.village},
                sent_from % {"region": seller.region.name, "kg": group.shipping_kilograms},
                [
                    (line.quantity, line.name, format_rupiah(line.line_amount))
                    for line in group.lines
                ],
                format_rupiah(group.items_amount),
                collected if group.pickup else format_rupiah(group.shipping_amount),
                group,
            )
        )
    return groups


def cart_groups(cart: Cart) -> list[tuple[CartGroup, str]]:
    """The cart page's households, each with the sentence under its lines ("Ongkir dari
    <toko> (perkiraan, <n> g)") from a translation looked up once for the page."""
    # ``gettext`` as pybabel finds it: the request's catalogue, looked up once
    gettext = current_translations().ugettext
    shipping_from = gettext("Ongkir dari %(shop)s (perkiraan, %(grams)s g)")
    return [
        (group, shipping_from % {"shop": group.seller.shop_name, "grams": group.weight_grams})
        for group in cart.groups
    ]
