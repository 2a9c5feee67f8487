"""What a shop application's decision tells the applicant, through the messaging seam."""

from __future__ import annotations

from flask_babel import gettext as _

from marketplace.notify import Message, Person, message_kind, notify
from marketplace.sellers.models import SellerApplication


def tell_applicant(application: SellerApplication, *, approved: bool, note: str) -> None:
    notify(
        Person.of(application.user, phone=application.whatsapp),
        "application.approved" if approved else "application.rejected",
        about=f"application-{application.id}",
        url="/penjual" if approved else "/buka-toko",
        shop=application.shop_name,
        note=note.strip(),
    )


@message_kind("application.approved", template="toko_dibuka")
def _approved(c: dict) -> Message:
    lines = [_("Toko %(shop)s sudah dibuka. Tambahkan produk pertama Anda.", shop=c["shop"])]
    if c["note"]:
        lines.append(_("Catatan: %(note)s", note=c["note"]))
    return Message(
        _("Pengajuan toko %(shop)s disetujui", shop=c["shop"]), lines, params=[c["shop"]]
    )


@message_kind("application.rejected", template="toko_ditolak")
def _rejected(c: dict) -> Message:
    return Message(
        _("Pengajuan toko %(shop)s ditolak", shop=c["shop"]),
        [_("Alasan: %(reason)s", reason=c["note"])],
        params=[c["shop"], c["note"]],
    )
