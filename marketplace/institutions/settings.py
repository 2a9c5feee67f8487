"""Settings of the institution flow, with defaults; ``MARKETPLACE_<NAME>`` overrides each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    #: days a quotation's prices hold after it is submitted
    "QUOTE_VALIDITY_DAYS": 14,
    "QUOTE_MAX_BOXES": 5000,
    #: flat shipping per household per quote, whole rupiah
    "QUOTE_SHIPPING_PER_SELLER_AMOUNT": 50000,
    #: one printed greeting card per box, whole rupiah
    "QUOTE_CARD_AMOUNT": 5000,
    #: rates in basis points (1100 = 11%)
    "PPN_RATE_BP": 1100,
    "PPH22_RATE_BP": 150,
    #: PPh 22 applies to goods above this amount (whole rupiah)
    "PPH22_THRESHOLD_AMOUNT": 2000000,
    #: days food must still keep after delivery
    "MIN_SHELF_DAYS_AFTER_DELIVERY": 7,
    #: a household confirms its part of a government order this many days before it must
    #: start making it (the delivery date less the part's longest lead time)
    "GOV_CONFIRM_DAYS_BEFORE_PRODUCTION": 2,
    #: at the signed BAST the platform advances the households' shares before the treasury pays
    "GOV_ADVANCE_TO_HOUSEHOLDS": True,
    #: a kwitansi above this amount (whole rupiah) needs a duty stamp (meterai)
    "MATERAI_THRESHOLD_AMOUNT": 5000000,
    #: the account a treasury transfers an invoice to (demo values: set the real ones)
    "INVOICE_BANK_NAME": "Bankaltimtara",
    "INVOICE_BANK_ACCOUNT_NUMBER": "0000-0000-0000",
    "INVOICE_BANK_ACCOUNT_HOLDER": "Pasar Oleh-Oleh Kaltara",
    #: days between an SP2D's date and its credit on the bank's statement
    "SP2D_BANK_WINDOW_DAYS": 5,
}


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


@dataclass(frozen=True)
class BankAccount:
    bank: str
    number: str
    holder: str


def invoice_account() -> BankAccount:
    """Where a treasury pays an invoice; an all-digit number read from the environment as
    JSON comes back as text."""
    return BankAccount(
        bank=str(setting("INVOICE_BANK_NAME")),
        number=str(setting("INVOICE_BANK_ACCOUNT_NUMBER")),
        holder=str(setting("INVOICE_BANK_ACCOUNT_HOLDER")),
    )
