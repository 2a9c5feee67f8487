"""The notes the platform itself writes in a part's history (a part that lapsed, a problem
reported, money released after a complaint): stored in Indonesian, as every row ever
stored was written, and read back in the reader's language (``locales.shown``, the
templates' filter ``stored_note``) by matching a stored note to its message. A note a
person typed is shown as it was typed.
"""

from __future__ import annotations

from marketplace.locales import N_, stored_messages, written

__all__ = ["NOTES", "written"]

#: a household's part of a government order left unanswered past its deadline
LAPSED = N_("tidak dikonfirmasi sebelum batas")
#: a shipped part nobody complained about within the days allowed
DEEMED_DELIVERED = N_("Dianggap diterima %(days)s hari setelah dikirim")
#: the buyer's words about a shipped part
PROBLEM_REPORTED = N_("Masalah dilaporkan: %(message)s")
#: an admin settled a complaint in the household's favour, with a reason
COMPLAINT_RELEASED = N_("Laporan diselesaikan, dana dilepas ke penjual: %(reason)s")
#: paid after the order expired, its stock gone: the money goes back
LATE_NO_STOCK = N_("Stok habis setelah waktu bayar lewat; dana dikembalikan.")
#: an admin gave a whole order back, a delivered part as money only (with or without a reason)
MONEY_ONLY = N_("sudah sampai: hanya dana yang dikembalikan")
MONEY_ONLY_BECAUSE = N_("%(reason)s (sudah sampai: hanya dana yang dikembalikan)")

NOTES = (
    LAPSED,
    DEEMED_DELIVERED,
    PROBLEM_REPORTED,
    COMPLAINT_RELEASED,
    LATE_NO_STOCK,
    MONEY_ONLY,
    MONEY_ONLY_BECAUSE,
)


stored_messages(*NOTES)
