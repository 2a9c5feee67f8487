"""What the buyer and the households are told when an order moves.

One hook, called with every recorded status move: mail goes out only after
the move commits (``marketplace.mail.send_mail`` queues it), and each message
carries a WhatsApp link with a prefilled text, because that is how people
here talk to each other.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.mail import send_mail
from marketplace.orders.models import Order, OrderPart, OrderStatus, PartStatus
from marketplace.rupiah import format_rupiah


def whatsapp_link(number: str, text: str) -> str:
    """``https://wa.me/62…`` with a prefilled message."""
    return f"https://wa.me/{number.lstrip('+')}?text={quote(text)}"


def order_url(order: Order) -> str:
    return f"{current_app.config['SITE_URL'].rstrip('/')}/pesanan/{order.access_token}"


def notify_move(
    order: Order, part: OrderPart | None, to_status: str, *, actor_kind: str = "", note: str = ""
) -> None:
    """Queue the messages a move calls for (nothing for moves nobody needs to hear of)."""
    if order.quote_id is not None:
        return  # a protocol office's order: marketplace.institutions.orders tells people
    with force_locale("id"):
        if part is None:
            _order_moved(order, to_status)
        else:
            _part_moved(order, part, to_status, actor_kind, note)


def _to_buyer(order: Order, subject: str, lines: list[str]) -> None:
    if not order.contact_email:
        return  # a guest who gave only a WhatsApp number follows the order's private link
    body = "\n".join(
        [_("Halo %(name)s,", name=order.contact_name), "", *lines, "", order_url(order)]
    )
    send_mail(order.contact_email, subject, body + "\n")


def _order_moved(order: Order, to_status: str) -> None:
    number = order.id
    if to_status == OrderStatus.AWAITING_PAYMENT:
        _to_buyer(
            order,
            _("Pesanan #%(n)s dibuat", n=number),
            [
                _(
                    "Pesanan Anda sebesar %(total)s menunggu pembayaran. Bayar dalam 30 menit "
                    "agar stoknya tetap untuk Anda.",
                    total=format_rupiah(order.total_amount),
                )
            ],
        )
    elif to_status == OrderStatus.PAID:
        _to_buyer(
            order,
            _("Pembayaran pesanan #%(n)s diterima", n=number),
            [_("Terima kasih. Setiap rumah tangga akan menyiapkan bagiannya.")],
        )
        for part in order.parts:
            _to_household(order, part)
    elif to_status == OrderStatus.EXPIRED:
        _to_buyer(
            order,
            _("Pesanan #%(n)s kedaluwarsa", n=number),
            [_("Pesanan tidak dibayar dalam 30 menit, jadi stoknya kami lepaskan.")],
        )
    elif to_status == OrderStatus.REFUNDED:
        _to_buyer(
            order,
            _("Dana pesanan #%(n)s dikembalikan", n=number),
            [_("Stoknya sudah habis ketika pembayaran tiba, jadi dana Anda kami kembalikan.")],
        )


def _to_household(order: Order, part: OrderPart) -> None:
    owner = part.seller.user
    if not owner.email:
        return
    items = [f"- {line.quantity} x {line.product_name}" for line in part.lines]
    greeting = _(
        "Halo, saya %(name)s, pembeli pesanan #%(n)s.", name=order.contact_name, n=order.id
    )
    body = "\n".join(
        [
            _("Halo %(name)s,", name=owner.name),
            "",
            _("Ada pesanan baru #%(n)s untuk %(shop)s:", n=order.id, shop=part.shop_name),
            *items,
            "",
            _("Terima dan siapkan di kotak pesanan toko Anda."),
            *(
                [_("Pembeli akan mengambil sendiri di rumah Anda.")]
                if part.delivery == "pickup"
                else []
            ),
            _("WhatsApp pembeli: %(link)s", link=whatsapp_link(order.contact_whatsapp, greeting)),
        ]
    )
    send_mail(owner.email, _("Pesanan baru #%(n)s", n=order.id), body + "\n")


def _part_moved(order: Order, part: OrderPart, to_status: str, actor_kind: str, note: str) -> None:
    shop = part.shop_name
    ask = whatsapp_link(
        part.seller.whatsapp, _("Halo %(shop)s, tentang pesanan #%(n)s:", shop=shop, n=order.id)
    )
    contact = _("Tanya %(shop)s lewat WhatsApp: %(link)s", shop=shop, link=ask)
    if to_status == PartStatus.SHIPPED:
        lines = [
            _(
                "%(shop)s sudah mengirim pesanan Anda. Kurir %(courier)s, nomor resi %(number)s.",
                shop=shop,
                courier=part.courier,
                number=part.tracking_number,
            ),
            contact,
        ]
        _to_buyer(order, _("Pesanan #%(n)s dikirim", n=order.id), lines)
    elif to_status == PartStatus.READY_FOR_PICKUP:
        lines = [_("Pesanan Anda dari %(shop)s siap diambil.", shop=shop), contact]
        _to_buyer(order, _("Pesanan #%(n)s siap diambil", n=order.id), lines)
    elif to_status == PartStatus.DELIVERED:
        lines = [_("Pesanan Anda dari %(shop)s sudah sampai. Selamat menikmati!", shop=shop)]
        if actor_kind == "system":
            lines.append(
                _(
                    "Kami menganggapnya diterima karena batas waktu sejak dikirim sudah lewat "
                    "tanpa laporan masalah."
                )
            )
        _to_buyer(order, _("Pesanan #%(n)s sampai", n=order.id), lines)
    elif to_status == PartStatus.CANCELLED and actor_kind == "seller":
        lines = [
            _("%(shop)s tidak dapat memenuhi pesanan Anda dan menolaknya.", shop=shop),
            _("Alasan: %(reason)s", reason=note),
            _("Dana bagian ini kami kembalikan ke pembayaran Anda."),
            contact,
        ]
        _to_buyer(order, _("Bagian pesanan #%(n)s ditolak penjual", n=order.id), lines)
    elif to_status == PartStatus.CANCELLED:
        lines = [_("Bagian pesanan dari %(shop)s dibatalkan.", shop=shop), contact]
        _to_buyer(order, _("Bagian pesanan #%(n)s dibatalkan", n=order.id), lines)


def notify_refund(
    order: Order, amount: int, *, reason: str = "", delivered_shops: list[str] | None = None
) -> None:
    """Tell the buyer that money is on its way back (queued: sent after the commit)."""
    with force_locale("id"):
        lines = [
            _(
                "Kami mengembalikan %(amount)s ke pembayaran Anda untuk pesanan #%(n)s.",
                amount=format_rupiah(amount),
                n=order.id,
            )
        ]
        if reason:
            lines.append(_("Alasan: %(reason)s", reason=reason))
        for shop in delivered_shops or []:
            lines.append(
                _(
                    "Bagian dari %(shop)s sudah sampai, jadi hanya dananya yang dikembalikan.",
                    shop=shop,
                )
            )
        lines.append(_("Dana biasanya kembali dalam 5-10 hari kerja, tergantung bank Anda."))
        _to_buyer(order, _("Dana pesanan #%(n)s dikembalikan", n=order.id), lines)
