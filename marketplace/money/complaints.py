"""An admin settles a buyer's complaint about a part.

A complaint ("Laporkan masalah" on the order page) holds the household's money: the
part is not released after the set days. An admin reads it and either releases the
money to the household (the same ledger event as delivery) or refunds the part through
the admin refund services (a part not yet delivered is cancelled, its stock goes back;
a delivered one gets what is left of its share back as money only). The settlement is
a guarded move on the complaint (``WHERE resolution IS NULL``) with who, when and why,
and an order event; the buyer and the household are told (``money/messages.py``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.db import db, now_utc, update_if
from marketplace.errors import MarketplaceError, NotFound, clean_reason
from marketplace.money import refunds
from marketplace.money.messages import tell_about_settlement
from marketplace.money.models import PartComplaint
from marketplace.money.payments import part_left
from marketplace.money.services import record_delivery_entries
from marketplace.orders import notes
from marketplace.orders.lifecycle import note_on_part
from marketplace.orders.models import OrderPart, PartStatus

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
            note=notes.written(notes.COMPLAINT_RELEASED, reason=reason),
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
    tell_about_settlement(complaint, reason, complaint.resolution == RELEASED)
    return outcome


# --- admins hear of failed payouts ----------------------------------------------------------
