"""What a government gift order tells the officers, approvers and households.

Sent through the messaging seam (``marketplace.notify``), recorded once with the move.
A household's request to confirm carries its deadline: the inbox shows it apart, marked
"Pesanan instansi", soonest deadline first, and it is sent even in quiet hours once the
deadline is near.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import db
from marketplace.institutions.boxes import _end_of_local_day as end_of_local_day
from marketplace.institutions.models import InstitutionMember, Quote
from marketplace.notify import Message, Person, day, message_kind, notify
from marketplace.orders.models import Order, OrderPart
from marketplace.rupiah import format_rupiah


def _officer(user: User) -> Person:
    return Person.of(user)


def tell_approvers(quote: Quote, submitter: User) -> None:
    """The heads of office hear that a quote waits for them, until its validity ends."""
    approvers = db.session.scalars(
        select(User)
        .join(InstitutionMember, InstitutionMember.user_id == User.id)
        .where(
            InstitutionMember.institution_id == quote.institution_id,
            InstitutionMember.can_approve,
            User.id != submitter.id,
        )
    )
    for approver in approvers:
        notify(
            _officer(approver),
            "quote.to_approve",
            about=f"quote-{quote.id}-{quote.number}",
            url=f"/instansi/penawaran/{quote.id}",
            deadline=end_of_local_day(quote.valid_until) if quote.valid_until else None,
            name=submitter.name,
            number=quote.number,
            event=quote.event_name,
            boxes=quote.box_count,
            total=quote.total_amount,
            until=quote.valid_until,
        )


def tell_author_approved(quote: Quote, approver: User, order: Order) -> None:
    notify(
        _officer(quote.created_by),
        "quote.approved",
        about=f"quote-{quote.id}",
        url=f"/instansi/pesanan/{order.id}",
        name=approver.name,
        number=quote.number,
        order=order.number,
    )


def tell_author_returned(quote: Quote, approver: User, reason: str) -> None:
    notify(
        _officer(quote.created_by),
        "quote.returned",
        about=f"quote-{quote.id}-{quote.number}-returned",
        url=f"/instansi/penawaran/{quote.id}",
        name=approver.name,
        number=quote.number,
        reason=reason.strip(),
    )


def ask_household(order: Order, part: OrderPart, quote: Quote, deadline: dt.date) -> None:
    """A household is asked to confirm its part of a government order by ``deadline``."""
    seller = part.seller
    notify(
        Person.of(seller.user, phone=seller.whatsapp),
        "gov.confirm",
        about=f"part-{part.id}",
        url=f"/penjual/pesanan/{part.id}",
        deadline=end_of_local_day(deadline),
        number=order.number,
        unit=quote.institution.unit,
        event=quote.event_name,
        delivery=quote.delivery_date,
        place=quote.delivery_place,
        items=[[line.quantity, line.full_name] for line in part.lines],
        amount=part.items_amount,
        confirm_by=deadline,
    )


def remind_household(part: OrderPart, deadline: dt.date) -> None:
    """The deadline day of a part still unanswered: one reminder, sent whatever the hour."""
    seller = part.seller
    notify(
        Person.of(seller.user, phone=seller.whatsapp),
        "gov.confirm_soon",
        about=f"part-{part.id}",
        url=f"/penjual/pesanan/{part.id}",
        deadline=end_of_local_day(deadline),
        number=part.order.number,
        confirm_by=deadline,
    )


def tell_officer_of_cancel(part: OrderPart, reason: str, *, lapsed_on: dt.date | None) -> None:
    """The quote's author hears that a household's part is cancelled, why, and what next."""
    quote = db.session.get(Quote, part.order.quote_id)
    if quote is None:
        return
    notify(
        _officer(quote.created_by),
        "gov.declined",
        about=f"part-{part.id}",
        url=f"/instansi/pesanan/{part.order_id}",
        number=part.order.number,
        shop=part.shop_name,
        reason=reason,
        lapsed_on=lapsed_on,
    )


def tell_officer_of_delivery(part: OrderPart) -> None:
    quote = db.session.get(Quote, part.order.quote_id)
    if quote is None:
        return
    notify(
        _officer(quote.created_by),
        "gov.delivered",
        about=f"part-{part.id}",
        url=f"/instansi/pesanan/{part.order_id}",
        number=part.order.number,
        shop=part.shop_name,
        place=quote.delivery_place,
    )


def tell_officer_of_invoice(order: Order, quote: Quote, invoice_number: str, due: dt.date) -> None:
    """The invoice is issued with the BAST and due that day: the officer passes it on."""
    notify(
        _officer(quote.created_by),
        "gov.invoice_due",
        about=f"order-{order.id}-{invoice_number}",
        url=f"/instansi/pesanan/{order.id}",
        number=order.number,
        invoice=invoice_number,
        amount=order.total_amount,
        due=due,
    )


def _mark() -> str:
    return _("Pesanan instansi")


@message_kind("quote.to_approve", template="penawaran_perlu_disetujui")
def _to_approve(c: dict) -> Message:
    return Message(
        _("Penawaran %(number)s menunggu persetujuan", number=c["number"]),
        [
            _(
                "%(name)s mengajukan penawaran %(number)s untuk %(event)s: %(boxes)s bingkisan, "
                "total %(total)s, berlaku sampai %(day)s.",
                name=c["name"],
                number=c["number"],
                event=c["event"],
                boxes=c["boxes"],
                total=format_rupiah(c["total"]),
                day=day(c["until"]) if c["until"] else "-",
            ),
            _("Buka penawaran untuk menyetujui atau mengembalikannya."),
        ],
        params=[c["number"], c["event"], format_rupiah(c["total"])],
        mark=_mark(),
    )


@message_kind("quote.approved", template="penawaran_disetujui")
def _approved(c: dict) -> Message:
    return Message(
        _("Penawaran %(number)s disetujui", number=c["number"]),
        [
            _(
                "%(name)s menyetujui penawaran ini. Surat pesanan sudah terbit dan pesanan "
                "%(order)s dikirim ke setiap rumah tangga untuk dikonfirmasi.",
                name=c["name"],
                order=c["order"],
            )
        ],
        params=[c["number"], c["order"]],
    )


@message_kind("quote.returned", template="penawaran_dikembalikan")
def _returned(c: dict) -> Message:
    return Message(
        _("Penawaran %(number)s dikembalikan", number=c["number"]),
        [
            _("%(name)s mengembalikan penawaran ini dengan catatan:", name=c["name"]),
            c["reason"],
        ],
        params=[c["number"], c["reason"]],
    )


@message_kind("gov.confirm", template="pesanan_instansi_konfirmasi")
def _confirm(c: dict) -> Message:
    items = [f"- {quantity} x {name}" for quantity, name in c["items"]]
    return Message(
        _(
            "Pesanan instansi %(n)s: konfirmasi sebelum %(day)s",
            n=c["number"],
            day=day(c["confirm_by"]),
        ),
        [
            _(
                "%(unit)s memesan untuk %(event)s, diantar %(day)s ke %(place)s:",
                unit=c["unit"],
                event=c["event"],
                day=day(c["delivery"]),
                place=c["place"],
            ),
            *items,
            _("Nilai barang: %(amount)s.", amount=format_rupiah(c["amount"])),
            _(
                "Konfirmasi atau tolak paling lambat %(day)s di kotak pesanan toko Anda.",
                day=day(c["confirm_by"]),
            ),
        ],
        params=[c["number"], c["unit"], format_rupiah(c["amount"]), day(c["confirm_by"])],
        mark=_mark(),
    )


@message_kind("gov.confirm_soon", template="pesanan_instansi_batas_hari_ini")
def _confirm_soon(c: dict) -> Message:
    return Message(
        _("Hari ini batas konfirmasi pesanan instansi %(n)s", n=c["number"]),
        [
            _(
                "Konfirmasi atau tolak sebelum %(day)s berakhir. Tanpa jawaban, bagian Anda "
                "dibatalkan dan diberikan kepada rumah tangga lain.",
                day=day(c["confirm_by"]),
            )
        ],
        params=[c["number"], day(c["confirm_by"])],
        mark=_mark(),
    )


@message_kind("gov.declined", template="pesanan_instansi_ditolak")
def _declined(c: dict) -> Message:
    if c.get("lapsed_on"):
        title = _(
            "%(shop)s tidak mengonfirmasi bagiannya di pesanan %(n)s", shop=c["shop"], n=c["number"]
        )
        why = _(
            "Batas konfirmasi %(day)s sudah lewat tanpa jawaban, jadi bagian ini dibatalkan "
            "dan barangnya dilepas.",
            day=day(c["lapsed_on"]),
        )
    else:
        title = _("%(shop)s menolak bagiannya di pesanan %(n)s", shop=c["shop"], n=c["number"])
        why = _("Alasan: %(reason)s", reason=c["reason"])
    return Message(
        title,
        [why, _("Buka pesanan untuk mengganti produknya dengan pilihan lain.")],
        params=[c["number"], c["shop"]],
        mark=_mark(),
    )


@message_kind("gov.delivered", template="pesanan_instansi_diantar")
def _gov_delivered(c: dict) -> Message:
    return Message(
        _("%(shop)s sudah mengantar bagiannya di pesanan %(n)s", shop=c["shop"], n=c["number"]),
        [
            _("Barang diantar ke %(place)s.", place=c["place"]),
            _("Hitung barang yang diterima di halaman pesanan."),
        ],
        params=[c["number"], c["shop"]],
        mark=_mark(),
    )


@message_kind("gov.invoice_due", template="tagihan_jatuh_tempo")
def _invoice_due(c: dict) -> Message:
    return Message(
        _(
            "Tagihan %(invoice)s pesanan %(n)s jatuh tempo %(day)s",
            invoice=c["invoice"],
            n=c["number"],
            day=day(c["due"]),
        ),
        [
            _(
                "Tagihan %(invoice)s sebesar %(amount)s terbit bersama BAST dan jatuh tempo "
                "%(day)s. Teruskan ke bendahara bersama kwitansinya.",
                invoice=c["invoice"],
                amount=format_rupiah(c["amount"]),
                day=day(c["due"]),
            )
        ],
        params=[c["invoice"], format_rupiah(c["amount"]), day(c["due"])],
        mark=_mark(),
    )
