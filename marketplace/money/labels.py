"""How the money pages name things: ledger accounts, payout states, commission rates,
amounts (the templates' filters ``ledger_account``, ``payout_label``, ``percent_bp``,
``money``)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from marketplace.locales import current_language
from marketplace.orders.labels import order_status_label
from marketplace.rupiah import format_rupiah

ACCOUNT_LABELS = {
    "buyer_funds": _l("Dibayar pembeli"),
    "refunds": _l("Dikembalikan ke pembeli"),
    "platform_commission": _l("Komisi platform"),
    "seller_pending": _l("Bagian toko, menunggu"),
    "shipping": _l("Ongkos kirim, menunggu"),
    "seller_available": _l("Siap dicairkan"),
    "seller_paid_out": _l("Dicairkan"),
    "payouts_in_transit": _l("Sedang dikirim ke rekening"),
    "government_receivable": _l("Tagihan ke instansi"),
    "government_pph22": _l("PPh 22 dipotong bendahara"),
    "platform_advance": _l("Ditalangi platform"),
    "platform_sales": _l("Kartu ucapan (milik platform)"),
    "payment_fees": _l("Biaya penyedia pembayaran"),
    "platform_vouchers": _l("Voucher ditanggung platform"),
}


def ledger_account_label(account: str) -> str:
    return _account_label(account, current_language())


@lru_cache(maxsize=256)
def _account_label(account: str, language: str) -> str:
    """Each account's label translated once per process and language (``language``, the key:
    the translation reads the same one), as ``marketplace.dates`` writes each day once."""
    return str(ACCOUNT_LABELS.get(account, account))


PAYOUT_LABELS = {
    # payout statuses
    "created": _l("Dibuat"),
    "exported": _l("Dikirim ke bank"),
    "paid": _l("Dibayar"),
    "failed": _l("Gagal, dana kembali"),
    # methods
    "bank": _l("Rekening bank"),
    "ewallet": _l("Dompet digital"),
    "stripe": _l("Stripe Connect"),
    # result lines
    "refused": _l("Ditolak"),
    # account changes
    "changed": _l("Diubah"),
    "verified": _l("Diperiksa admin"),
    "payouts_enabled": _l("Stripe: pencairan aktif"),
    "payouts_disabled": _l("Stripe: pencairan belum aktif"),
}


def payout_label(value: str) -> str:
    """A payout's status or method, a result line's outcome, an account change's kind."""
    return str(PAYOUT_LABELS.get(value, value))


#: a refund's reason and its state, as the admin's order page names them
REFUND_LABELS = {
    # reasons
    "late_no_stock": _l("Stok habis setelah pembayaran terlambat"),
    "duplicate": _l("Pembayaran ganda"),
    "part_cancelled": _l("Bagian pesanan dibatalkan"),
    "admin": _l("Dikembalikan admin"),
    # states
    "pending": _l("Sedang diproses"),
    "succeeded": _l("Berhasil"),
}


def refund_label(value: str) -> str:
    """A refund's reason or state in words."""
    return str(REFUND_LABELS.get(value, value))


def payout_labels() -> dict[str, str]:
    """Every payout word translated once, for a page that names many payouts."""
    return dict(_payout_labels(current_language()))


@lru_cache(maxsize=16)
def _payout_labels(language: str) -> dict[str, str]:
    """Every payout word, translated once per process and language (copied for each page)."""
    return {value: str(label) for value, label in PAYOUT_LABELS.items()}


def percent_bp(rate_bp: int) -> str:
    """Basis points as a percentage in the visitor's locale: 250 -> 2,5%."""
    return _percent(rate_bp, current_language())


@lru_cache(maxsize=256)
def _percent(rate_bp: int, language: str) -> str:
    """Each rate written once per process and language (a page repeats the same few)."""
    return f"{format_decimal(rate_bp / 100, format='#,##0.##', locale=language)}%"


def money_html(amount: int, name: str = "") -> Markup:
    """An amount in bold, ``name``d for tests and scripts: ``<strong data-balance="available">``.
    A written amount has nothing to escape (a sign, "Rp", digits and dots)."""
    if name:
        return Markup(f'<strong data-balance="{escape(name)}">{format_rupiah(amount)}</strong>')  # noqa: S704
    return Markup(f"<strong>{format_rupiah(amount)}</strong>")  # noqa: S704


class EarningWords(NamedTuple):
    """What every row of the earnings page says beside its values."""

    government: str
    goods: str
    shipping: str
    commission: str
    share: str
    refunded: str


EARNING_WORDS = EarningWords(
    government=_l("Pesanan instansi"),
    goods=_l("Harga barang"),
    shipping=_l("Ongkos kirim"),
    commission=_l("Komisi"),
    share=_l("Bagian Anda"),
    refunded=_l("Dikembalikan ke pembeli"),
)


def earning_words() -> EarningWords:
    """The rows' words in the visitor's language."""
    return _earning_words(current_language())


@lru_cache(maxsize=16)
def _earning_words(language: str) -> EarningWords:
    """The rows' words translated once per process and language (``language``, the key: the
    translation reads the same one), not once per page."""
    return EarningWords(*(str(word) for word in EARNING_WORDS))


class EarningRow(NamedTuple):
    """One order part as the earnings page writes it, each value written here once for the
    row (the page's row reads plain values: no filter, attribute or lookup per value)."""

    part_id: int
    #: the part's page (``href_prefix`` and its id)
    href: str
    number: str
    #: a government order's part (its order has a quotation)
    government: bool
    status: str
    items: str
    shipping: str
    #: the commission rate (``percent_bp``)
    rate: str
    commission: str
    earned: str
    #: what went back to the buyer ("" when nothing did)
    refunded: str
    #: its ledger entries in one line: "Menunggu pesanan diterima Rp9.000; ..."
    ledger: str


def earning_rows(parts: Iterable, href_prefix: str) -> list[EarningRow]:
    """The earnings page's rows of ``parts`` (``services.PartEarnings``), in one pass. A page
    repeats the same few statuses, rates, accounts and amounts: each is written once for
    the page (its label asked once, each amount written once by ``format_rupiah``)."""
    rupiah = _each_once(format_rupiah)
    status_of = _each_once(order_status_label)
    rate_of = _each_once(percent_bp)
    account_of = _each_once(ledger_account_label)
    return [
        EarningRow(
            part.id,
            f"{href_prefix}{part.id}",
            part.number,
            bool(part.quote_id),
            status_of(part.status),
            rupiah(part.items_amount),
            rupiah(part.shipping_amount),
            rate_of(part.commission_rate_bp),
            rupiah(earning.commission),
            rupiah(earning.earned),
            rupiah(earning.refunded) if earning.refunded else "",
            "; ".join(
                f"{account_of(account)} {rupiah(amount)}" for account, amount in earning.entries
            ),
        )
        for earning in parts
        for part in (earning.part,)
    ]


def _each_once(write: Callable[[Any], str]) -> Callable[[Any], str]:
    """``write``, asked once per distinct value (the values a page's rows repeat)."""
    written: dict = {}

    def once(value):
        found = written.get(value)
        if found is None:
            found = written[value] = write(value)
        return found

    return once


def once_each(values: Iterable[Hashable], label: Callable[[Any], str]) -> dict:
    """``label`` of each distinct value among ``values``, asked once: a page's rows repeat
    the same few statuses and rates, and a translated label costs more than a row."""
    return {value: label(value) for value in set(values)}
