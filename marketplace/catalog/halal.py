"""Halal certificate numbers, in the forms the halal authorities print them.

Since 2019 BPJPH (Badan Penyelenggara Jaminan Produk Halal, Kementerian Agama) issues every
halal certificate, the regular route and the micro businesses' self-declaration (pernyataan
pelaku usaha, "self declare", e.g. the free SEHATI programme) alike: its number is "ID"
followed by digits (ID00410000123450123), checkable at halal.go.id. Before that LPPOM MUI
issued them, with 14-digit numbers (00150012345678) that labels still carry until they
end. Anything else ("halal insyaallah", a shop's own promise) is not a certificate.
"""

from __future__ import annotations

import re

#: BPJPH: "ID" and its digits (17 and 18 are seen; a little room either side)
BPJPH_NUMBER = re.compile(r"ID[0-9]{14,20}")
#: LPPOM MUI, before BPJPH: 14 digits, sometimes written after "MUI"
MUI_NUMBER = re.compile(r"(?:MUI)?([0-9]{14})")

#: what people write before the number: "No. Sertifikat Halal:", "Halal No."
_LEAD = re.compile(
    r"^(?:no(?:mor)?\b\.?)?\s*(?:sertifikat\b)?\s*(?:halal\b)?\s*(?:no\b\.?)?\s*:?", re.I
)


def halal_certificate_number(text: str | None) -> str | None:
    """The certificate number in its printed form (``ID…`` or the 14 MUI digits), or None
    when ``text`` is not a number either authority issues."""
    if not text:
        return None
    compact = re.sub(r"[\s.\-/]", "", _LEAD.sub("", text.strip())).upper()
    if BPJPH_NUMBER.fullmatch(compact):
        return compact
    if match := MUI_NUMBER.fullmatch(compact):
        return match.group(1)
    return None
