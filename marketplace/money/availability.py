"""A shipped part counts as delivered N days after shipping, unless a complaint is open.

The buyer presses "Pesanan diterima", or the household marks the part delivered; a buyer
who does neither, or a courier that never reports, should not keep a household waiting
for ever. So ``flask orders deliver`` marks delivered every part shipped more than
``MARKETPLACE_AUTO_DELIVERED_AFTER_DAYS`` (7 by default) ago with no open complaint, as
if the buyer had confirmed it: its money becomes available through the same
``part_delivered`` as any delivery (``part-N-delivered``). Each part is a guarded move, so
running it twice, or a delivery arriving meanwhile, changes nothing more.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.db import db, now_utc, unit_of_work, update_if
from marketplace.errors import MarketplaceError, NotFound
from marketplace.money.messages import tell_household_of_complaint
from marketplace.money.models import LedgerEntry, PartComplaint
from marketplace.money.services import has_open_complaint
from marketplace.once import added_once
from marketplace.orders import notes
from marketplace.orders.lifecycle import deliver_part, note_on_part
from marketplace.orders.models import OrderEvent, OrderPart, PartStatus

DEFAULT_AFTER_DAYS = 7


def after_days() -> int:
    """``AUTO_DELIVERED_AFTER_DAYS``; ``AVAILABLE_AFTER_DAYS``, its former name, still counts."""
    config = current_app.config
    days = config.get("AUTO_DELIVERED_AFTER_DAYS", config.get("AVAILABLE_AFTER_DAYS"))
    return DEFAULT_AFTER_DAYS if days is None else int(days)


def _shipped_at():
    return (
        select(OrderEvent.part_id, OrderEvent.created_at)
        .where(OrderEvent.to_status == PartStatus.SHIPPED.value)
        .subquery()
    )


def due_part_ids(now: dt.datetime | None = None) -> list[int]:
    """Parts still shipped, shipped before the cut-off, with no open complaint."""
    cutoff = (now or now_utc()) - dt.timedelta(days=after_days())
    shipped = _shipped_at()
    open_complaints = select(PartComplaint.part_id).where(PartComplaint.resolution.is_(None))
    return list(
        db.session.scalars(
            select(OrderPart.id)
            .join(shipped, shipped.c.part_id == OrderPart.id)
            .where(
                OrderPart.status == PartStatus.SHIPPED.value,
                shipped.c.created_at <= cutoff,
                OrderPart.id.not_in(open_complaints),
            )
            .distinct()
            .order_by(OrderPart.id)
        )
    )


def auto_delivery_dates(parts: list[OrderPart]) -> dict[int, dt.datetime]:
    """When each shipped part among ``parts`` will count as delivered (its buyer's page);
    a part held by an open complaint waits for an admin instead."""
    return delivery_dates_of([part.id for part in parts if part.status == PartStatus.SHIPPED.value])


def delivery_dates_of(ids: list[int]) -> dict[int, dt.datetime]:
    """:func:`auto_delivery_dates` of parts known to be shipped, by their ids."""
    if not ids:
        return {}
    shipped = _shipped_at()
    open_complaints = select(PartComplaint.part_id).where(PartComplaint.resolution.is_(None))
    rows = db.session.execute(
        select(shipped).where(shipped.c.part_id.in_(ids), shipped.c.part_id.not_in(open_complaints))
    )
    days = dt.timedelta(days=after_days())
    return {part_id: shipped_at + days for part_id, shipped_at in rows}


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


def deliver_due_parts(now: dt.datetime | None = None) -> int:
    """Mark every due part delivered, each part in its own unit of work; returns how many."""
    days = after_days()
    delivered = 0
    for part_id in due_part_ids(now):
        try:
            with unit_of_work():
                part = db.session.get(OrderPart, part_id)
                # A complaint made since the list was read holds it (and its money) too.
                if not has_open_complaint(part_id):
                    delivered += deliver_part(
                        part,
                        actor_kind="system",
                        note=notes.written(notes.DEEMED_DELIVERED, days=days),
                    )
                db.session.commit()
        except IntegrityError:
            db.session.rollback()  # delivered at the same moment by another process
    return delivered


def report_problem(order_id: int, part_id: int, message: str, actor_id: int | None):
    """The buyer reports a problem with a shipped part: its money waits for an admin."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.order_id != order_id:
        raise NotFound(_l("Bagian pesanan tidak ditemukan."))
    existing = db.session.scalar(select(PartComplaint).where(PartComplaint.part_id == part_id))
    if existing is not None:
        return existing
    if part.status == PartStatus.DELIVERED.value:
        raise MarketplaceError(
            _l("Bagian ini sudah diterima dan dananya diteruskan ke penjual; hubungi admin.")
        )
    if part.status != PartStatus.SHIPPED.value:
        raise MarketplaceError(_l("Masalah dapat dilaporkan setelah barang dikirim."))
    if is_available(part_id):
        # Past the complaint window: the money already went to the household's balance.
        raise MarketplaceError(
            _l(
                "Dana bagian ini sudah diteruskan ke penjual (%(days)s hari setelah dikirim); "
                "hubungi admin untuk masalah ini.",
                days=after_days(),
            )
        )
    # Touch the part, still shipped: a delivery racing this report waits for it (and then
    # finds the complaint holding the money), or came first and the report is refused.
    shipped = PartStatus.SHIPPED.value
    if not update_if(OrderPart, part_id, OrderPart.status == shipped, status=shipped):
        raise MarketplaceError(_l("Status pesanan sudah berubah. Muat ulang halaman."))
    complaint = PartComplaint(part_id=part_id, message=message.strip(), created_by_id=actor_id)
    if not added_once(complaint):
        # the same report sent twice at once: the part's one complaint is the first's
        return db.session.scalar(select(PartComplaint).where(PartComplaint.part_id == part_id))
    note_on_part(
        part,
        actor_kind="buyer",
        actor_id=actor_id,
        note=notes.written(notes.PROBLEM_REPORTED, message=message.strip()),
    )
    db.session.flush()
    tell_household_of_complaint(part, complaint)
    return complaint


def complaints_of(order_id: int) -> dict[int, PartComplaint]:
    rows = db.session.scalars(
        select(PartComplaint).join(OrderPart).where(OrderPart.order_id == order_id)
    )
    return {complaint.part_id: complaint for complaint in rows}
