"""What the money tells people: a buyer's problem report and its settlement, payouts.

Sent through the messaging seam (``marketplace.notify``), recorded once with the change.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import Role, RoleGrant, User
from marketplace.db import WITA, db
from marketplace.locales import shown
from marketplace.money.models import PartComplaint, Payout, PayoutStatus
from marketplace.notify import Message, Person, day, message_kind, notify
from marketplace.orders.messages import buyer_of, household_of, order_path
from marketplace.orders.models import OrderPart
from marketplace.rupiah import format_rupiah


def tell_household_of_complaint(part: OrderPart, complaint: PartComplaint) -> None:
    """The buyer reported a problem: the household hears what, and that its money waits."""
    notify(
        household_of(part),
        "complaint.opened",
        about=f"part-{part.id}",
        url=f"/penjual/pesanan/{part.id}",
        number=part.order.number,
        shop=part.shop_name,
        message=complaint.message,
    )


def tell_about_settlement(complaint: PartComplaint, reason: str, released: bool) -> None:
    """An admin settled a report: the household hears the decision, the buyer a release
    (a refund tells the buyer itself)."""
    part = complaint.part
    order = part.order
    if released:
        notify(
            buyer_of(order),
            "complaint.released",
            about=f"complaint-{complaint.id}",
            url=order_path(order),
            number=order.number,
            name=order.contact_name,
            shop=part.shop_name,
            reason=reason,
        )
    notify(
        household_of(part),
        "complaint.settled",
        about=f"complaint-{complaint.id}",
        url=f"/penjual/pesanan/{part.id}",
        number=order.number,
        message=complaint.message,
        released=released,
        reason=reason,
    )


def tell_household_of_payout(payout: Payout) -> None:
    """A payout just closed: the household hears it was sent, or failed and why."""
    seller = payout.seller
    notify(
        Person.of(seller.user, phone=seller.whatsapp),
        "payout.sent" if payout.status == PayoutStatus.PAID.value else "payout.failed",
        about=f"payout-{payout.id}",
        url="/penjual/pendapatan",
        payout=payout.number,
        amount=payout.amount,
        reason=payout.failure_reason or "",
    )


def tell_admins_payout_failed(payout: Payout, reason: str) -> None:
    """Every admin hears of a refused payout (sent only if the failure commits)."""
    admins = db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.ADMIN.value, User.is_active_account)
        .order_by(User.id)
    )
    for admin in admins:
        notify(
            Person.of(admin),
            "payout.failed_admin",
            about=f"payout-{payout.id}",
            url="/admin/pencairan",
            payout=payout.number,
            amount=payout.amount,
            shop=payout.seller.shop_name,
            reason=reason,
        )


@message_kind("complaint.opened", template="laporan_pembeli")
def _opened(c: dict) -> Message:
    return Message(
        _("Pembeli melaporkan masalah pada pesanan %(n)s", n=c["number"]),
        [
            _("Pembeli melaporkan: %(message)s", message=c["message"]),
            _("Dana bagian ini ditahan sampai admin memeriksa laporannya."),
        ],
        params=[c["number"], c["message"]],
    )


@message_kind("complaint.released")
def _released(c: dict) -> Message:
    return Message(
        _("Laporan pesanan %(n)s sudah diperiksa", n=c["number"]),
        [
            _("Halo %(name)s,", name=c["name"]),
            _(
                "Kami sudah memeriksa laporan Anda tentang pesanan dari %(shop)s. "
                "Dana diteruskan ke penjual.",
                shop=c["shop"],
            ),
            _("Alasan: %(reason)s", reason=shown(c["reason"])),
        ],
    )


@message_kind("complaint.settled")
def _settled(c: dict) -> Message:
    decision = (
        _("Dana bagian ini dilepas ke toko Anda dan bisa dicairkan.")
        if c["released"]
        else _("Dana bagian ini dikembalikan ke pembeli.")
    )
    return Message(
        _("Laporan pembeli pesanan %(n)s sudah diselesaikan", n=c["number"]),
        [
            _("Pembeli melaporkan: %(message)s", message=c["message"]),
            decision,
            _("Alasan: %(reason)s", reason=shown(c["reason"])),
        ],
    )


def tell_of_account_change(user: User, shop: str, old: str, new: str, until) -> None:
    """A household's payout account changed: it hears it on every channel it uses, at once
    (a change it did not make must reach it before the hold ends)."""
    notify(
        Person.of(user),
        "payout_account.changed",
        about=f"payout-account-{user.id}-{until.isoformat()}",
        url="/penjual/pendapatan/rekening",
        deadline=until,
        shop=shop,
        old=old,
        new=new,
        until=until,
    )


@message_kind("payout_account.changed", template="rekening_diubah")
def _account_changed(c: dict) -> Message:
    until = dt.datetime.fromisoformat(c["until"]).astimezone(WITA)
    when = f"{day(until)} {until.strftime('%H.%M')}"
    return Message(
        _("Rekening pencairan %(shop)s diubah", shop=c["shop"]),
        [
            _("Rekening pencairan toko Anda baru saja diubah."),
            _("Sebelumnya: %(old)s", old=c["old"]),
            _("Sekarang: %(new)s", new=c["new"]),
            _(
                "Demi keamanan, pencairan ke rekening baru ditahan sampai %(until)s WITA "
                "dan menunggu pemeriksaan admin.",
                until=when,
            ),
            _(
                "Jika bukan Anda yang mengubahnya, segera ganti kata sandi dan hubungi "
                "admin Pasar Oleh-Oleh Kaltara."
            ),
        ],
        params=[c["shop"], c["new"], f"{when} WITA"],
    )


@message_kind("payout.sent", template="pencairan_terkirim")
def _payout_sent(c: dict) -> Message:
    amount = format_rupiah(c["amount"])
    return Message(
        _("Pencairan %(number)s sebesar %(amount)s terkirim", number=c["payout"], amount=amount),
        [_("Dana %(amount)s sudah dikirim ke rekening Anda.", amount=amount)],
        params=[c["payout"], amount],
    )


@message_kind("payout.failed", template="pencairan_gagal")
def _payout_failed(c: dict) -> Message:
    amount = format_rupiah(c["amount"])
    return Message(
        _("Pencairan %(number)s gagal", number=c["payout"]),
        [
            _("Pencairan sebesar %(amount)s tidak sampai ke rekening Anda.", amount=amount),
            _("Alasan: %(reason)s", reason=shown(c["reason"])),
            _("Dananya kembali ke saldo siap dicairkan. Periksa rekening pencairan Anda."),
        ],
        params=[c["payout"], amount, c["reason"]],
    )


@message_kind("payout.failed_admin")
def _payout_failed_admin(c: dict) -> Message:
    return Message(
        _("Pencairan %(number)s gagal", number=c["payout"]),
        [
            _(
                "Pencairan %(number)s sebesar %(amount)s untuk %(shop)s gagal.",
                number=c["payout"],
                amount=format_rupiah(c["amount"]),
                shop=c["shop"],
            ),
            _("Alasan: %(reason)s", reason=shown(c["reason"])),
            _("Dananya kembali ke saldo siap dicairkan toko ini."),
        ],
    )
