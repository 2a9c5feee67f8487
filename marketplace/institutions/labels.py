"""The words for a quote's and an order's statuses and documents, as pages show them.

Why a line does not fit is ``boxes.misfit_label``: approval refuses with the same words.
The words are translated with the request's catalogue found once (``forms.lazy_gettext``):
a page of quotes and their history writes several."""

from __future__ import annotations

from flask_babel import format_datetime

from marketplace.forms import lazy_gettext as _l
from marketplace.institutions.models import DocumentKind, QuoteStatus
from marketplace.orders.labels import order_status_label

STATUS_LABELS = {
    QuoteStatus.DRAFT: _l("Draf"),
    QuoteStatus.SUBMITTED: _l("Menunggu persetujuan"),
    QuoteStatus.APPROVED: _l("Disetujui"),
    QuoteStatus.RETURNED: _l("Dikembalikan"),
    QuoteStatus.CANCELLED: _l("Dibatalkan"),
    QuoteStatus.ORDERED: _l("Dipesan"),
}

DOCUMENT_LABELS = {
    DocumentKind.QUOTATION: _l("Surat penawaran"),
    DocumentKind.ORDER_LETTER: _l("Surat pesanan"),
    DocumentKind.DELIVERY_NOTE: _l("Surat jalan"),
    DocumentKind.HANDOVER: _l("Berita acara serah terima (BAST)"),
    DocumentKind.INVOICE: _l("Tagihan"),
    DocumentKind.RECEIPT: _l("Kwitansi"),
}

#: the timeline's words for every status of a quote, an order, a part and a document
MOVE_LABELS = {
    "invoiced": _l("Dipesan, dibayar dengan tagihan"),
    "paid": _l("Lunas"),
    "new": _l("Menunggu konfirmasi rumah tangga"),
    "accepted": _l("Dikonfirmasi rumah tangga"),
    "produced": _l("Sudah dibuat"),
    "packed": _l("Sudah dikemas"),
    "delivered": _l("Sudah diantar"),
    "received": _l("Diterima staf"),
    "cancelled": _l("Ditolak / dibatalkan"),
    "issued": _l("Terbit"),
    "replaced": _l("Diganti dokumen koreksi"),
}


def format_moment(value) -> str:
    """Date and time in Kalimantan Utara's clock, for timelines."""
    return format_datetime(value, "medium")


def document_label(kind: str) -> str:
    return str(DOCUMENT_LABELS[DocumentKind(kind)])


def status_label(status: str) -> str:
    return str(STATUS_LABELS[QuoteStatus(status)])


def status_labels(statuses) -> dict[str, str]:
    """The quote statuses ``statuses`` names in words, each translated once for a page
    that lists many."""
    return {status: status_label(status) for status in statuses}


def move_label(status: str) -> str:
    """A status of a quote, order, part or document, in words."""
    if status in QuoteStatus.__members__.values() and status not in MOVE_LABELS:
        return str(STATUS_LABELS[QuoteStatus(status)])
    label = MOVE_LABELS.get(status)
    # an order's other moves (a refund, a card payment's) as the order pages name them
    return str(label) if label is not None else order_status_label(status)
