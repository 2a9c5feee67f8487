"""The licence numbers a household types on its listing, read however they were typed.

A P-IRT number (SPP-IRT, the regency's home-industry food licence) and a BPOM MD number are
checked for their form and given back in their printed form; a wrong one is a
``ListingError`` naming its field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.catalog.services import today_local
from marketplace.errors import MarketplaceError


class ListingError(MarketplaceError):
    pass


PIRT_PACKAGING_DIGITS = "123456"


@dataclass(frozen=True)
class PirtLicence:
    number: str
    valid_until: dt.date


def parse_pirt_number(text: str, region_codes: set[str]) -> PirtLicence:
    """Read a P-IRT number as printed (``P-IRT No. 2026571010123-29``) and check its form.

    Digit 1 is the packaging kind (1-6), digits 4-7 a Kaltara kabupaten/kota code and
    the last two the year the licence ends (valid through 31 December of that year).
    """
    cleaned = re.sub(r"^\s*p\s*-?\s*irt\s*(no\.?|nomor)?\s*:?", "", text.strip(), flags=re.I)
    if not re.fullmatch(r"[0-9][0-9 .-]*", cleaned.strip()):
        raise ListingError(
            _l("Nomor P-IRT hanya berisi angka, contoh: 2026571010123-29."), field="pirt_number"
        )
    digits = re.sub(r"\D", "", cleaned)
    if not 15 <= len(digits) <= 20:
        raise ListingError(
            _l("Nomor P-IRT terdiri dari 15 angka, contoh: 2026571010123-29."),
            field="pirt_number",
        )
    if digits[0] not in PIRT_PACKAGING_DIGITS:
        raise ListingError(
            _l("Angka pertama nomor P-IRT (jenis kemasan) harus 1 sampai 6."), field="pirt_number"
        )
    if digits[3:7] not in region_codes:
        raise ListingError(
            _l("Angka ke-4 sampai ke-7 nomor P-IRT bukan kode kabupaten/kota di Kalimantan Utara."),
            field="pirt_number",
        )
    valid_until = dt.date(2000 + int(digits[-2:]), 12, 31)
    if valid_until < today_local():
        raise ListingError(
            _l("Izin P-IRT ini sudah berakhir. Perpanjang SPP-IRT lalu isi nomor yang baru."),
            field="pirt_number",
        )
    return PirtLicence(number=f"{digits[:-2]}-{digits[-2:]}", valid_until=valid_until)


BPOM_MD_DIGITS = 12


def parse_bpom_number(text: str) -> str:
    """Read a BPOM MD number however it was typed and give its printed form.

    ``BPOM RI MD 123456789012``, ``md 1234 5678 9012`` and ``MD-123.456.789.012`` are
    one number, stored as ``BPOM RI MD 123456789012``. It carries no end date.
    """
    cleaned = re.sub(r"^\s*(badan\s*pom|bpom)?\s*(ri)?\s*[:.]?\s*", "", text.strip(), flags=re.I)
    match = re.fullmatch(r"md\s*[:.-]?\s*([0-9][0-9 .-]*)", cleaned.strip(), flags=re.I)
    if match is None:
        raise ListingError(
            _l("Tulis nomor BPOM seperti tercetak di label, contoh: BPOM RI MD 123456789012."),
            field="bpom_number",
        )
    digits = re.sub(r"\D", "", match.group(1))
    if len(digits) != BPOM_MD_DIGITS:
        raise ListingError(
            _l("Nomor BPOM MD terdiri dari 12 angka, contoh: BPOM RI MD 123456789012."),
            field="bpom_number",
        )
    return f"BPOM RI MD {digits}"
