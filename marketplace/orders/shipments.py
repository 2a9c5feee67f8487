"""A household part's parcel with a live courier: booked from the part page, tracked by
the shipping aggregator's webhook.

Booking asks the provider (``shipping.provider()``) for the courier service the buyer chose
at checkout and keeps the aggregator's order id and the waybill (resi) it answers: nothing
is typed. A webhook (``order.status``, ``order.price``, ``order.waybill_id``) only names the
order: it is read back from the aggregator (Retrieve an Order) and what it says is applied
once. Each tracking step is stored once (by aggregator order, status and time) and moves
the part through ``lifecycle`` only forward: a parcel picked up is shipped, a parcel
delivered is delivered (shipped first if that step was missed). A waybill issued later is
kept on the part; a new price is kept for the admin (the buyer paid what the checkout
showed). A step told twice, or events in any order, end in the same state.

A part cancelled after booking cancels its booking at the aggregator, after the commit
(:func:`cancel_courier`, a job); a refusal is recorded for the admin, never undoing the
buyer's cancellation.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import shipping_gateway
from marketplace.catalog import places
from marketplace.db import db, now_utc, update_if
from marketplace.errors import MarketplaceError
from marketplace.jobs import enqueue, job, sweeper
from marketplace.orders import shipping
from marketplace.orders.inbox import get_part_for_seller
from marketplace.orders.lifecycle import (
    CANCEL_COURIER_JOB,
    MoveRefused,
    deliver_part,
    move_part,
    refuse_office_part,
)
from marketplace.orders.models import (
    CourierBooking,
    Delivery,
    OrderPart,
    PartStatus,
    ShipmentEvent,
)

log = logging.getLogger(__name__)

#: Biteship's order status flow, in order: steps told at the same time sort by it
FLOW = (
    "confirmed",
    "scheduled",
    "allocated",
    "picking_up",
    "picked",
    "on_hold",
    "dropping_off",
    "return_in_transit",
    "returned",
    "delivered",
    "cancelled",
)
#: the aggregator's statuses (Biteship's order status flow) that mean the parcel left
LEFT_HOUSEHOLD = frozenset({"picked", "dropping_off", "delivered"})
DELIVERED = "delivered"
ACTOR = "courier"


class CourierUnavailable(MarketplaceError):
    status_code = 502


def may_book(part: OrderPart) -> bool:
    """Whether the household can book the courier the buyer chose (live rate, not booked)."""
    return (
        part.delivery == Delivery.SHIP.value
        and part.status == PartStatus.ACCEPTED.value
        and bool(part.courier_service)
        and not part.shipment_id
    )


def _booking_request(part: OrderPart) -> shipping.BookingRequest:
    order, seller = part.order, part.seller
    courier_code, _, service_code = part.courier_service.partition(":")
    return shipping.BookingRequest(
        reference=f"part-{part.id}",
        origin=shipping.household_origin(seller.region.code, seller.pickup_postal_code),
        origin_name=seller.owner_name,
        origin_phone=seller.whatsapp,
        origin_address=", ".join(
            value
            for value in (
                seller.village,
                places.name_of(seller.pickup_district),
                seller.region.name,
            )
            if value
        ),
        destination=shipping.Place(order.postal_code),
        destination_name=order.contact_name,
        destination_phone=order.contact_whatsapp,
        destination_address=", ".join(
            value for value in (order.street, order.district, order.city, order.province) if value
        ),
        courier_code=courier_code,
        service_code=service_code,
        parcel=shipping.Parcel(part.weight_grams, part.items_amount),
        items=[
            {
                "name": line.full_name[:100],
                "value": line.unit_price_amount,
                "quantity": line.quantity,
                "weight": max(1, part.weight_grams // max(1, sum(x.quantity for x in part.lines))),
            }
            for line in part.lines
        ],
    )


def booking_for(part_id: int, seller_id: int) -> shipping.BookingRequest:
    """What booking a household's part asks the courier for; refused unless the buyer chose
    a live courier and it is not booked yet."""
    part = get_part_for_seller(part_id, seller_id)
    refuse_office_part(part)
    if not may_book(part):
        raise MoveRefused(_l("Kurir untuk pesanan ini tidak bisa dipesan dari sini."))
    return _booking_request(part)


def call_courier(request: shipping.BookingRequest) -> tuple[str, str]:
    """Book with the provider, outside any transaction: (its order id, the waybill)."""
    try:
        shipment_id, waybill = shipping.provider().book(request)
    except shipping_gateway.AggregatorError as error:
        raise CourierUnavailable(
            _l("Kurir tidak bisa dipesan sekarang. Coba lagi sebentar lagi.")
        ) from error
    if not shipment_id:
        raise CourierUnavailable(_l("Pemesanan kurir otomatis belum diatur."))
    return shipment_id, waybill


def keep_booking(part_id: int, seller_id: int, shipment_id: str, waybill: str) -> OrderPart:
    """Keep the aggregator's order id and waybill (maybe "" until the courier issues one,
    told later by ``order.waybill_id``) on the part, once."""
    part = get_part_for_seller(part_id, seller_id)
    if not update_if(
        OrderPart,
        part.id,
        OrderPart.shipment_id.is_(None),
        shipment_id=shipment_id[:64],
        tracking_number=waybill[:60],
    ):
        raise MoveRefused(_l("Kurir untuk pesanan ini sudah dipesan. Muat ulang halaman."))
    db.session.refresh(part)
    return part


#: the webhook events Biteship sends (biteship.com/id/docs/api/webhook/overview)
WEBHOOK_EVENTS = frozenset({"order.status", "order.price", "order.waybill_id"})


def webhook_shipment_id(event: dict[str, Any]) -> str | None:
    """The aggregator's order id a webhook event names; None for an event we do not read.

    Only the id is taken from the body: what happened is read back from the aggregator.
    """
    if event.get("event") not in WEBHOOK_EVENTS:
        return None
    shipment_id = event.get("order_id")
    return shipment_id[:64] if isinstance(shipment_id, str) and shipment_id else None


def part_for_shipment(shipment_id: str) -> int | None:
    """The id of the part booked as ``shipment_id``, if any."""
    return db.session.scalar(select(OrderPart.id).where(OrderPart.shipment_id == shipment_id))


def read_shipment(shipment_id: str) -> shipping_gateway.RetrievedOrder | None:
    """The booked parcel as the aggregator has it now; None when it knows no such order."""
    db.session.rollback()  # no transaction stays open across the aggregator's answer
    try:
        return shipping.provider().retrieve(shipment_id)
    except shipping_gateway.AggregatorError as error:
        raise AggregatorDown(_l("Biteship tidak bisa dihubungi. Coba lagi nanti.")) from error


class AggregatorDown(MarketplaceError):
    #: the aggregator sends its webhook again when it is not answered with a 2xx
    status_code = 503


def booking_row(part_id: int) -> CourierBooking | None:
    """The part's booking row, if one was made (read only)."""
    return db.session.scalar(select(CourierBooking).where(CourierBooking.part_id == part_id))


def booking_of(part: OrderPart) -> CourierBooking:
    """The part's booking row, made on first need (two racing makers: one row)."""
    booking = booking_row(part.id)
    if booking is not None:
        return booking
    try:
        with db.session.begin_nested():
            booking = CourierBooking(part_id=part.id)
            db.session.add(booking)
    except IntegrityError:
        booking = db.session.scalar(select(CourierBooking).where(CourierBooking.part_id == part.id))
    assert booking is not None
    return booking


def _store_step(part: OrderPart, step: shipping_gateway.TrackingStep) -> bool:
    key = f"{part.shipment_id}:{step.status}:{step.updated_at}"[:160]
    try:
        with db.session.begin_nested():
            db.session.add(
                ShipmentEvent(
                    part_id=part.id,
                    event_key=key,
                    status=step.status[:40],
                    note=step.note[:255],
                    happened_at=step.updated_at[:40],
                )
            )
    except IntegrityError:
        return False
    return True


def apply_shipment(part_id: int, found: shipping_gateway.RetrievedOrder) -> str:
    """What the aggregator says of a booked parcel now, applied once: new tracking steps
    stored, the waybill and the price it charges kept, the part moved forward through
    ``lifecycle``. Whatever order the webhooks came in, the outcome is the aggregator's
    state. Returns "moved", "stored" (something new, no move) or "repeated" (nothing new).
    """
    part = db.session.get(OrderPart, part_id)
    if part is None or part.shipment_id != found.order_id:
        return "repeated"
    steps = [step for step in found.history if step.status]
    if found.status and found.status not in {step.status for step in steps}:
        steps.append(shipping_gateway.TrackingStep(found.status, "", ""))
    changed = sum(_store_step(part, step) for step in steps) > 0
    waybill = found.waybill_id[:60]
    if waybill and waybill != part.tracking_number:
        # a waybill issued (or changed) after booking: the buyer's page shows this one
        update_if(
            OrderPart, part.id, OrderPart.shipment_id == found.order_id, tracking_number=waybill
        )
        db.session.refresh(part)
        changed = True
    booking = booking_of(part)
    if found.price and found.price != booking.price_amount:
        # Not charged to the buyer, who paid ``shipping_amount``: the admin sees the gap.
        booking.price_amount = found.price
        booking.updated_at = now_utc()
        changed = True
    statuses = {step.status for step in steps}
    moved = False
    if statuses & LEFT_HOUSEHOLD and part.status == PartStatus.ACCEPTED.value:
        moved = move_part(part, PartStatus.SHIPPED, actor_kind=ACTOR)
    if DELIVERED in statuses and part.status == PartStatus.SHIPPED.value:
        moved = deliver_part(part, actor_kind=ACTOR) or moved
    db.session.flush()
    return "moved" if moved else "stored" if changed else "repeated"


# --- a cancelled part cancels its booking, after the commit -------------------------------

CANCEL_REASON = "Pesanan dibatalkan di Pasar Oleh-Oleh Kaltara"


def cancellation_due(part: OrderPart) -> bool:
    return part.status == PartStatus.CANCELLED.value and bool(part.shipment_id)


@job(CANCEL_COURIER_JOB)
def cancel_courier(part_id: int) -> str:
    """Cancel a cancelled part's booking at the aggregator, once: "cancelled", "failed"
    (the admin sees why on /admin/kurir) or "nothing" (no booking, or already done).

    Safe to run twice: a booking recorded as cancelled is not asked again, and one the
    aggregator already cancelled (a run whose commit was lost) is read back as cancelled.
    """
    part = db.session.get(OrderPart, part_id)
    if part is None or not cancellation_due(part):
        return "nothing"
    booking = db.session.scalar(select(CourierBooking).where(CourierBooking.part_id == part_id))
    if booking is not None and booking.cancel_status == "cancelled":
        return "nothing"
    shipment_id = str(part.shipment_id)
    db.session.rollback()  # no transaction stays open across the aggregator's calls
    live = shipping.provider()
    note = ""
    try:
        live.cancel(shipment_id, CANCEL_REASON)
    except shipping_gateway.AggregatorError as error:
        try:
            found = live.retrieve(shipment_id)
        except shipping_gateway.AggregatorError:
            found = None
        if found is None or found.status != "cancelled":
            note = str(error)[:255] or "?"
    part = db.session.get(OrderPart, part_id)
    assert part is not None
    booking = booking_of(part)
    booking.cancel_status = "failed" if note else "cancelled"
    booking.cancel_note = note
    booking.updated_at = now_utc()
    db.session.flush()
    if note:
        log.warning("part %s: booking %s not cancelled: %s", part_id, shipment_id, note)
    return booking.cancel_status


@sweeper
def queue_lost_cancellations() -> int:
    """Queue again the cancellations of bookings whose job was lost (never done, never failed)."""
    due = db.session.scalars(
        select(OrderPart.id)
        .outerjoin(CourierBooking, CourierBooking.part_id == OrderPart.id)
        .where(
            OrderPart.status == PartStatus.CANCELLED.value,
            OrderPart.shipment_id.is_not(None),
            or_(CourierBooking.id.is_(None), CourierBooking.cancel_status == ""),
        )
    ).all()
    for part_id in due:
        enqueue(CANCEL_COURIER_JOB, part_id)
    return len(due)


def courier_issues() -> dict[str, list[CourierBooking]]:
    """For the admin: bookings the aggregator would not cancel, and parcels it now charges
    differently from what the buyer paid (newest first)."""
    rows = db.session.scalars(
        select(CourierBooking)
        .join(OrderPart, OrderPart.id == CourierBooking.part_id)
        .where(
            or_(
                CourierBooking.cancel_status == "failed",
                and_(
                    CourierBooking.price_amount > 0,
                    CourierBooking.price_amount != OrderPart.shipping_amount,
                ),
            )
        )
        .options(selectinload(CourierBooking.part).selectinload(OrderPart.seller))
        .order_by(CourierBooking.updated_at.desc(), CourierBooking.id.desc())
    ).all()
    return {
        "failed": [row for row in rows if row.cancel_status == "failed"],
        "repriced": [
            row for row in rows if row.price_amount and row.price_amount != row.part.shipping_amount
        ],
    }


def history_of(parts: list[OrderPart]) -> dict[int, list[ShipmentEvent]]:
    """{part id: its tracking steps, oldest first (by the courier's time, then the flow,
    whatever order they arrived in)} for a buyer's order page."""
    found: dict[int, list[ShipmentEvent]] = {}
    ids = [part.id for part in parts if part.shipment_id]
    if not ids:
        return found
    steps = db.session.scalars(select(ShipmentEvent).where(ShipmentEvent.part_id.in_(ids)))
    for step in sorted(steps, key=_step_order):
        found.setdefault(step.part_id, []).append(step)
    return found


def _step_order(step: ShipmentEvent) -> tuple[dt.datetime, int, int]:
    rank = FLOW.index(step.status) if step.status in FLOW else len(FLOW)
    # the courier's time (Biteship writes +07:00), else when we heard of it
    return (step.happened or step.received_at, rank, step.id)
