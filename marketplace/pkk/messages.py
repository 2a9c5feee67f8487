"""What the PKK's packaging review tells a household, through the messaging seam."""

from __future__ import annotations

from flask_babel import gettext as _

from marketplace.catalog.models import Product
from marketplace.notify import Message, Person, message_kind, notify


def tell_household_of_review(
    product: Product, change_id: int, *, approved: bool, note: str, photo_notes: list[str]
) -> None:
    """The household hears the verdict on its packaging, with the reviewer's comments, and
    the link opens the product's page where it fixes and resubmits."""
    seller = product.seller
    notify(
        Person.of(seller.user, phone=seller.whatsapp),
        "packaging.approved" if approved else "packaging.changes",
        about=f"review-{change_id}",
        url=f"/penjual/produk/{product.id}",
        product=product.name,
        note=note.strip(),
        photo_notes=photo_notes,
    )


@message_kind("packaging.approved", template="kemasan_disetujui")
def _approved(c: dict) -> Message:
    lines = [_("%(product)s sekarang tampil untuk pembeli.", product=c["product"])]
    if c["note"]:
        lines.append(_("Catatan PKK: %(note)s", note=c["note"]))
    return Message(
        _("Kemasan %(product)s disetujui PKK", product=c["product"]),
        lines,
        params=[c["product"]],
    )


@message_kind("packaging.changes", template="kemasan_perlu_perbaikan")
def _changes(c: dict) -> Message:
    lines = []
    if c["note"]:
        lines.append(_("Catatan PKK: %(note)s", note=c["note"]))
    lines += [_("Foto: %(note)s", note=note) for note in c["photo_notes"]]
    lines.append(_("Perbaiki lalu ajukan lagi dari halaman produk."))
    return Message(
        _("PKK meminta perbaikan kemasan %(product)s", product=c["product"]),
        lines,
        params=[c["product"], c["note"] or "; ".join(c["photo_notes"])],
    )
