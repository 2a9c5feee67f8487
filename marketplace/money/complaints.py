"""An admin settles a buyer's complaint about a part, and admins hear of failed payouts.

A complaint ("Laporkan masalah" on the order page) holds the household's money: the
part is not released after the set days. An admin reads it and either releases the
money to the household (the same ledger event as delivery) or refunds the part through
the admin refund services (a part not yet delivered is cancelled, its stock goes back;
a delivered one gets what is left of its share back as money only). The settlement is
a guarded move on the complaint (``WHERE resolution IS NULL``) with who, when and why,
and an order event; the buyer and the household are mailed after the commit.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, RoleGrant, User
from marketplace.db import db, now_utc, update_if
from marketplace.errors import MarketplaceError, NotFound, clean_reason
from marketplace.mail import send_mail
from marketplace.money import refunds
from marketplace.money.models import PartComplaint, Payout
from marketplace.money.payments import part_left
from marketplace.money.services import record_delivery_entries
from marketplace.orders.lifecycle import note_on_part
from marketplace.orders.messages import order_url
from marketplace.orders.models import OrderPart, PartStatus
from marketplace.rupiah import format_rupiah

RELEASED = "released"
REFUNDED = "refunded"
ACTIONS = (RELEASED, REFUNDED)
MAX_REASON = 250


class AlreadySettled(MarketplaceError):
    status_code = 409


def list_complaints(limit: int = 100) -> list[PartComplaint]:
    """Open complaints first (oldest first), then the recently settled ones."""
    query = select(PartComplaint).options(
        joinedload(PartComplaint.part).joinedload(OrderPart.order)
    )
    open_ = db.session.scalars(
        query.where(PartComplaint.resolution.is_(None)).order_by(PartComplaint.id)
    )
    settled = db.session.scalars(
        query.where(PartComplaint.resolution.is_not(None))
        .order_by(PartComplaint.resolved_at.desc())
        .limit(limit)
    )
    return [*open_, *settled]


def settle_complaint(
    complaint_id: int, action: str, *, actor_id: int, reason: str, refund_key: str
):
    """Release or refund; returns the refund outcome (None for a release). Flushes only."""

    complaint = db.session.get(PartComplaint, complaint_id)
    if complaint is None:
        raise NotFound(_l("Laporan tidak ditemukan."))
    if action not in ACTIONS:
        raise MarketplaceError(_l("Pilih: lepaskan dana atau kembalikan dana."), field="action")
    reason = clean_reason(reason, maximum=MAX_REASON, missing=_l("Tulis alasan keputusan ini."))
    if not update_if(
        PartComplaint,
        complaint_id,
        PartComplaint.resolution.is_(None),
        resolution=action,
        resolution_note=reason,
        resolved_by_id=actor_id,
        resolved_at=now_utc(),
    ):
        raise AlreadySettled(_l("Laporan ini sudah diselesaikan."))
    db.session.refresh(complaint)
    part = complaint.part
    outcome = None
    if action == RELEASED:
        if part.status == PartStatus.CANCELLED.value:
            raise MarketplaceError(_l("Bagian ini sudah dibatalkan; tidak ada dana untuk dilepas."))
        if part.status in (PartStatus.SHIPPED.value, PartStatus.DELIVERED.value):
            # Held until now whatever happened meanwhile (delivery, the timer): released here.
            record_delivery_entries(part)
        note_on_part(
            part,
            actor_kind="admin",
            actor_id=actor_id,
            note="Laporan diselesaikan, dana dilepas ke penjual: " + reason,
        )
    elif part.status == PartStatus.DELIVERED.value:
        outcome = refunds.refund_partly(
            part.order_id,
            part.id,
            part_left(part),
            refund_key=refund_key,
            actor_id=actor_id,
            reason=reason,
        )
        # The goods went back; the shipping held with them is the household's (it paid
        # the courier).
        record_delivery_entries(part)
    else:
        outcome = refunds.cancel_part(part.order_id, part.id, actor_id=actor_id, reason=reason)
    _tell_about_settlement(complaint, reason)
    return outcome


def _tell_about_settlement(complaint: PartComplaint, reason: str) -> None:
    part = complaint.part
    order = part.order
    shop = part.shop_name
    with force_locale("id"):
        if complaint.resolution == RELEASED and order.contact_email:
            # A refund already tells the buyer (notify_refund); a release needs its own word.
            send_mail(
                order.contact_email,
                _("Laporan pesanan #%(n)s sudah diperiksa", n=order.id),
                "\n".join(
                    [
                        _("Halo %(name)s,", name=order.contact_name),
                        "",
                        _(
                            "Kami sudah memeriksa laporan Anda tentang pesanan dari %(shop)s. "
                            "Dana diteruskan ke penjual.",
                            shop=shop,
                        ),
                        _("Alasan: %(reason)s", reason=reason),
                        "",
                        order_url(order),
                    ]
                )
                + "\n",
            )
            decision = _("Dana bagian ini dilepas ke toko Anda dan bisa dicairkan.")
        else:
            decision = _("Dana bagian ini dikembalikan ke pembeli.")
        owner = part.seller.user
        if owner.email:
            send_mail(
                owner.email,
                _("Laporan pembeli pesanan #%(n)s sudah diselesaikan", n=order.id),
                "\n".join(
                    [
                        _("Halo %(name)s,", name=owner.name),
                        "",
                        _("Pembeli melaporkan: %(message)s", message=complaint.message),
                        decision,
                        _("Alasan: %(reason)s", reason=reason),
                    ]
                )
                + "\n",
            )


# --- admins hear of failed payouts ----------------------------------------------------------


def admin_emails() -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.role == Role.ADMIN.value,
                User.email.is_not(None),
                User.is_active_account,
            )
            .order_by(User.id)
        )
    )


def tell_admins_payout_failed(payout: Payout, reason: str) -> None:
    """Queue a mail to every admin (sent only if the failure commits)."""
    site = current_app.config["SITE_URL"].rstrip("/")
    with force_locale("id"):
        subject = _("Pencairan %(number)s gagal", number=payout.number)
        body = "\n".join(
            [
                _(
                    "Pencairan %(number)s sebesar %(amount)s untuk %(shop)s gagal.",
                    number=payout.number,
                    amount=format_rupiah(payout.amount),
                    shop=payout.seller.shop_name,
                ),
                _("Alasan: %(reason)s", reason=reason),
                _("Dananya kembali ke saldo siap dicairkan toko ini."),
                "",
                f"{site}/admin/pencairan",
            ]
        )
    for address in admin_emails():
        send_mail(address, subject, body + "\n")
