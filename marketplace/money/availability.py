"""A shipped part's money becomes available N days after shipment without a complaint.

Delivery makes it available at once (:func:`services.record_delivery_entries`); a
courier that never reports delivery should not keep a household waiting for ever, so
``flask payouts release`` moves shipped parts older than
``MARKETPLACE_AVAILABLE_AFTER_DAYS`` (7 by default) with no complaint. It writes the
same event as delivery (``part-N-delivered``), so running it twice, or delivery
arriving afterwards, adds nothing.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.db import db, now_utc, unit_of_work
from marketplace.errors import MarketplaceError, NotFound
from marketplace.money.models import LedgerEntry, PartComplaint
from marketplace.money.services import record_delivery_entries
from marketplace.orders.lifecycle import note_on_part
from marketplace.orders.models import OrderEvent, OrderPart, PartStatus

DEFAULT_AFTER_DAYS = 7


def after_days() -> int:
    return int(current_app.config.get("AVAILABLE_AFTER_DAYS", DEFAULT_AFTER_DAYS))


def due_part_ids(now: dt.datetime | None = None) -> list[int]:
    """Shipped parts, shipped before the cut-off, with no complaint and not yet available."""
    cutoff = (now or now_utc()) - dt.timedelta(days=after_days())
    shipped_before = (
        select(OrderEvent.part_id)
        .where(
            OrderEvent.to_status == PartStatus.SHIPPED.value,
            OrderEvent.created_at <= cutoff,
        )
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(OrderPart.id)
            .where(
                OrderPart.status == PartStatus.SHIPPED.value,
                OrderPart.id.in_(shipped_before),
                OrderPart.id.not_in(select(PartComplaint.part_id)),
                OrderPart.id.not_in(
                    select(LedgerEntry.order_part_id).where(
                        LedgerEntry.event_key.like("part-%-delivered")
                    )
                ),
            )
            .order_by(OrderPart.id)
        )
    )


def is_available(part_id: int) -> bool:
    """The part's money has already been made available (delivery or the timer)."""
    return (
        db.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.order_part_id == part_id,
                LedgerEntry.event_key == f"part-{part_id}-delivered",
            )
        )
        is not None
    )


def release_due_parts(now: dt.datetime | None = None) -> int:
    """Make the money of every due part available, each part in its own unit of work."""
    released = 0
    for part_id in due_part_ids(now):
        try:
            with unit_of_work():
                part = db.session.get(OrderPart, part_id)
                # An open complaint holds the money: record_delivery_entries refuses it.
                if part.status == PartStatus.SHIPPED.value:
                    released += record_delivery_entries(part)
                db.session.commit()
        except IntegrityError:
            db.session.rollback()  # released at the same moment by another process
    return released


def report_problem(order_id: int, part_id: int, message: str, actor_id: int | None):
    """The buyer reports a problem with a shipped part: its money waits for an admin."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.order_id != order_id:
        raise NotFound(_l("Bagian pesanan tidak ditemukan."))
    if part.status != PartStatus.SHIPPED.value:
        raise MarketplaceError(_l("Masalah dapat dilaporkan setelah barang dikirim."))
    existing = db.session.scalar(select(PartComplaint).where(PartComplaint.part_id == part_id))
    if existing is not None:
        return existing
    if is_available(part_id):
        # Past the complaint window: the money already went to the household's balance.
        raise MarketplaceError(
            _l(
                "Dana bagian ini sudah diteruskan ke penjual (%(days)s hari setelah dikirim); "
                "hubungi admin untuk masalah ini.",
                days=after_days(),
            )
        )
    complaint = PartComplaint(part_id=part_id, message=message.strip(), created_by_id=actor_id)
    db.session.add(complaint)
    note_on_part(
        part, actor_kind="buyer", actor_id=actor_id, note="Masalah dilaporkan: " + message.strip()
    )
    return complaint


def complaints_of(order_id: int) -> dict[int, PartComplaint]:
    rows = db.session.scalars(
        select(PartComplaint).join(OrderPart).where(OrderPart.order_id == order_id)
    )
    return {complaint.part_id: complaint for complaint in rows}
