"""What the buyer and the households are told when an order moves.

One hook, called with every recorded status move, sends each message through the
messaging seam (``marketplace.notify``): recorded once with the move, in the person's
language, sent after the commit on the channels the person chose. Each message names
the order by its number (PSR-…), opens the order itself, and a buyer's carries a WhatsApp
link to the household, because that is how people here talk to each other.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.db import db, local_date
from marketplace.notify import Message, Person, day, message_kind, notify
from marketplace.orders.models import Order, OrderPart, OrderStatus, PartStatus
from marketplace.rupiah import format_rupiah

#: Days a household has to send a paid part after it is paid, or after the day it is
#: made when made to order: the "ship by" of the new-order message.
SHIP_WITHIN_DAYS = 2


def whatsapp_link(number: str, text: str) -> str:
    """``https://wa.me/62…`` with a prefilled message."""
    return f"https://wa.me/{number.lstrip('+')}?text={quote(text)}"


def order_path(order: Order) -> str:
    return f"/pesanan/{order.access_token}"


def order_url(order: Order) -> str:
    return f"{current_app.config['SITE_URL'].rstrip('/')}{order_path(order)}"


def ship_by(part: OrderPart, paid_at: dt.datetime) -> dt.date:
    """The day a household must send a paid part by."""
    made = [line.production_day for line in part.lines if line.production_day is not None]
    return max([local_date(paid_at), *made]) + dt.timedelta(days=SHIP_WITHIN_DAYS)


def buyer_of(order: Order) -> Person:
    """The buyer: their account when signed in at checkout, else the contact they gave."""
    user = db.session.get(User, order.buyer_id) if order.buyer_id else None
    return Person(
        user.id if user else None,
        order.contact_name,
        order.contact_email,
        order.contact_whatsapp,
        user.locale if user else None,
    )


def household_of(part: OrderPart) -> Person:
    return Person.of(part.seller.user, phone=part.seller.whatsapp)


def notify_move(
    order: Order, part: OrderPart | None, to_status: str, *, actor_kind: str = "", note: str = ""
) -> None:
    """Send the messages a move calls for (nothing for moves nobody needs to hear of)."""
    if order.quote_id is not None:
        return  # a protocol office's order: marketplace.institutions.orders tells people
    if part is None:
        _order_moved(order, to_status)
    else:
        _part_moved(order, part, to_status, actor_kind, note)


def _to_buyer(order: Order, kind: str, about: str, **context) -> None:
    notify(
        buyer_of(order),
        kind,
        about=about,
        url=order_path(order),
        number=order.number,
        name=order.contact_name,
        **context,
    )


_ORDER_KINDS = {
    OrderStatus.AWAITING_PAYMENT: "order.placed",
    OrderStatus.PAID: "order.paid",
    OrderStatus.EXPIRED: "order.expired",
    OrderStatus.REFUNDED: "order.refunded",
}


def _order_moved(order: Order, to_status: str) -> None:
    kind = _ORDER_KINDS.get(to_status)
    if kind is None:
        return
    _to_buyer(order, kind, f"order-{order.id}", total=order.total_amount)
    if to_status == OrderStatus.PAID:
        for part in order.parts:
            _to_household(order, part)


def _to_household(order: Order, part: OrderPart) -> None:
    with force_locale("id"):  # what the buyer would write to the household
        greeting = _(
            "Halo, saya %(name)s, pembeli pesanan %(n)s.", name=order.contact_name, n=order.number
        )
    notify(
        household_of(part),
        "part.new",
        about=f"part-{part.id}",
        url=f"/penjual/pesanan/{part.id}",
        number=order.number,
        name=part.seller.user.name,
        shop=part.shop_name,
        items=[[line.quantity, line.full_name] for line in part.lines],
        ship_by=ship_by(part, order.paid_at or order.created_at),
        pickup=part.delivery == "pickup",
        buyer_whatsapp=whatsapp_link(order.contact_whatsapp, greeting),
    )


def _part_moved(order: Order, part: OrderPart, to_status: str, actor_kind: str, note: str) -> None:
    with force_locale("id"):  # what the buyer would write to the household
        ask = whatsapp_link(
            part.seller.whatsapp,
            _("Halo %(shop)s, tentang pesanan %(n)s:", shop=part.shop_name, n=order.number),
        )
    common = {"shop": part.shop_name, "ask": ask}
    about = f"part-{part.id}"
    if to_status == PartStatus.SHIPPED:
        _to_buyer(
            order,
            "part.shipped",
            about,
            courier=part.courier,
            tracking=part.tracking_number,
            **common,
        )
    elif to_status == PartStatus.READY_FOR_PICKUP:
        _to_buyer(order, "part.ready", about, **common)
    elif to_status == PartStatus.DELIVERED:
        _to_buyer(order, "part.delivered", about, by_timer=actor_kind == "system", **common)
    elif to_status == PartStatus.CANCELLED and actor_kind == "seller":
        _to_buyer(order, "part.declined", about, reason=note, **common)
    elif to_status == PartStatus.CANCELLED:
        _to_buyer(order, "part.cancelled", about, **common)


def notify_refund(
    order: Order,
    amount: int,
    *,
    about: str,
    reason: str = "",
    delivered_shops: list[str] | None = None,
) -> None:
    """Tell the buyer that money is on its way back (``about``: the refunds, once)."""
    _to_buyer(
        order,
        "order.refund",
        about,
        amount=amount,
        reason=reason,
        delivered_shops=delivered_shops or [],
    )


# --- the messages ---------------------------------------------------------------------------


def _hello(context: dict) -> str:
    return _("Halo %(name)s,", name=context["name"])


@message_kind("order.placed")
def _placed(c: dict) -> Message:
    return Message(
        _("Pesanan %(n)s dibuat", n=c["number"]),
        [
            _hello(c),
            _(
                "Pesanan Anda sebesar %(total)s menunggu pembayaran. Bayar dalam 30 menit "
                "agar stoknya tetap untuk Anda.",
                total=format_rupiah(c["total"]),
            ),
        ],
    )


@message_kind("order.paid", template="pesanan_dibayar")
def _paid(c: dict) -> Message:
    return Message(
        _("Pembayaran pesanan %(n)s diterima", n=c["number"]),
        [_hello(c), _("Terima kasih. Setiap rumah tangga akan menyiapkan bagiannya.")],
        params=[c["name"], c["number"], format_rupiah(c["total"])],
    )


@message_kind("order.expired")
def _expired(c: dict) -> Message:
    return Message(
        _("Pesanan %(n)s kedaluwarsa", n=c["number"]),
        [_hello(c), _("Pesanan tidak dibayar dalam 30 menit, jadi stoknya kami lepaskan.")],
    )


@message_kind("order.refunded", template="pesanan_dana_kembali")
def _refunded(c: dict) -> Message:
    return Message(
        _("Dana pesanan %(n)s dikembalikan", n=c["number"]),
        [
            _hello(c),
            _("Stoknya sudah habis ketika pembayaran tiba, jadi dana Anda kami kembalikan."),
        ],
        params=[c["name"], c["number"], format_rupiah(c["total"])],
    )


@message_kind("order.refund", template="pesanan_dana_kembali")
def _refund(c: dict) -> Message:
    lines = [
        _hello(c),
        _(
            "Kami mengembalikan %(amount)s ke pembayaran Anda untuk pesanan %(n)s.",
            amount=format_rupiah(c["amount"]),
            n=c["number"],
        ),
    ]
    if c.get("reason"):
        lines.append(_("Alasan: %(reason)s", reason=c["reason"]))
    for shop in c.get("delivered_shops", []):
        lines.append(
            _("Bagian dari %(shop)s sudah sampai, jadi hanya dananya yang dikembalikan.", shop=shop)
        )
    lines.append(_("Dana biasanya kembali dalam 5-10 hari kerja, tergantung bank Anda."))
    return Message(
        _("Dana pesanan %(n)s dikembalikan", n=c["number"]),
        lines,
        params=[c["name"], c["number"], format_rupiah(c["amount"])],
    )


@message_kind("part.new", template="pesanan_baru")
def _new_part(c: dict) -> Message:
    items = [f"- {quantity} x {name}" for quantity, name in c["items"]]
    lines = [
        _hello(c),
        _("Ada pesanan baru %(n)s untuk %(shop)s:", n=c["number"], shop=c["shop"]),
        *items,
        _("Kirim paling lambat %(day)s.", day=day(c["ship_by"])),
        _("Terima dan siapkan di kotak pesanan toko Anda."),
    ]
    if c.get("pickup"):
        lines.append(_("Pembeli akan mengambil sendiri di rumah Anda."))
    lines.append(_("WhatsApp pembeli: %(link)s", link=c["buyer_whatsapp"]))
    summary = ", ".join(f"{quantity} x {name}" for quantity, name in c["items"])
    return Message(
        _("Pesanan baru %(n)s", n=c["number"]),
        lines,
        params=[c["number"], summary, day(c["ship_by"])],
    )


def _ask(c: dict) -> str:
    return _("Tanya %(shop)s lewat WhatsApp: %(link)s", shop=c["shop"], link=c["ask"])


@message_kind("part.shipped", template="pesanan_dikirim")
def _shipped(c: dict) -> Message:
    return Message(
        _("Pesanan %(n)s dikirim", n=c["number"]),
        [
            _hello(c),
            _(
                "%(shop)s sudah mengirim pesanan Anda. Kurir %(courier)s, nomor resi %(number)s.",
                shop=c["shop"],
                courier=c["courier"],
                number=c["tracking"],
            ),
            _ask(c),
        ],
        params=[c["number"], c["shop"], c["courier"], c["tracking"]],
    )


@message_kind("part.ready", template="pesanan_siap_diambil")
def _ready(c: dict) -> Message:
    return Message(
        _("Pesanan %(n)s siap diambil", n=c["number"]),
        [_hello(c), _("Pesanan Anda dari %(shop)s siap diambil.", shop=c["shop"]), _ask(c)],
        params=[c["number"], c["shop"]],
    )


@message_kind("part.delivered", template="pesanan_sampai")
def _delivered(c: dict) -> Message:
    lines = [
        _hello(c),
        _("Pesanan Anda dari %(shop)s sudah sampai. Selamat menikmati!", shop=c["shop"]),
    ]
    if c.get("by_timer"):
        lines.append(
            _(
                "Kami menganggapnya diterima karena batas waktu sejak dikirim sudah lewat "
                "tanpa laporan masalah."
            )
        )
    return Message(_("Pesanan %(n)s sampai", n=c["number"]), lines, params=[c["number"], c["shop"]])


@message_kind("part.declined")
def _declined(c: dict) -> Message:
    return Message(
        _("Bagian pesanan %(n)s ditolak penjual", n=c["number"]),
        [
            _hello(c),
            _("%(shop)s tidak dapat memenuhi pesanan Anda dan menolaknya.", shop=c["shop"]),
            _("Alasan: %(reason)s", reason=c["reason"]),
            _("Dana bagian ini kami kembalikan ke pembayaran Anda."),
            _ask(c),
        ],
    )


@message_kind("part.cancelled")
def _cancelled(c: dict) -> Message:
    return Message(
        _("Bagian pesanan %(n)s dibatalkan", n=c["number"]),
        [_hello(c), _("Bagian pesanan dari %(shop)s dibatalkan.", shop=c["shop"]), _ask(c)],
    )
