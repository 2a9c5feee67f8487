"""How the order pages name things: an order's or part's status, who cancelled a part, the
courier's tracking steps (the templates' filters ``order_status``, ``cancelled_by`` and
``shipment_status``)."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l

from marketplace.locales import current_language

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
