"""A household part's parcel with a live courier: booked from the part page, tracked by
the shipping aggregator's webhook.

Booking asks the provider (``shipping.provider()``) for the courier service the buyer chose
at checkout and keeps the aggregator's order id and the waybill (resi) it answers: nothing
is typed. Each tracking step the webhook tells is stored once (by aggregator order, status
and time) and moves the part through ``lifecycle`` only forward: a parcel picked up is
shipped, a parcel delivered is delivered (shipped first if that step was missed). A step
told twice, or a late "picked" after "delivered", changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import shipping_gateway
from marketplace.db import db, update_if
from marketplace.errors import MarketplaceError
from marketplace.orders import shipping
from marketplace.orders.inbox import get_part_for_seller
from marketplace.orders.lifecycle import MoveRefused, deliver_part, move_part, refuse_office_part
from marketplace.orders.models import Delivery, OrderPart, PartStatus, ShipmentEvent

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
        origin=shipping.household_origin(seller.region.code),
        origin_name=seller.owner_name,
        origin_phone=seller.whatsapp,
        origin_address=f"{seller.village}, {seller.region.name}",
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
    """Keep the aggregator's order id and waybill on the part, once."""
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


def record_tracking(event: dict[str, Any]) -> str:
    """One ``order.status`` webhook event, stored once and applied forward; what was done
    ("moved", "stored", "repeated", "unknown", "ignored")."""
    if event.get("event") != "order.status":
        return "ignored"
    shipment_id = str(event.get("order_id") or "")[:64]
    status = str(event.get("status") or "")[:40]
    part = db.session.scalar(select(OrderPart).where(OrderPart.shipment_id == shipment_id))
    if part is None or not status:
        return "unknown"
    happened_at = str(event.get("updated_at") or "")[:40]
    try:
        with db.session.begin_nested():
            db.session.add(
                ShipmentEvent(
                    part_id=part.id,
                    event_key=f"{shipment_id}:{status}:{happened_at}"[:160],
                    status=status,
                    note=str(event.get("note") or "")[:255],
                    happened_at=happened_at,
                )
            )
    except IntegrityError:
        return "repeated"
    waybill = str(event.get("courier_waybill_id") or part.tracking_number)[:60]
    moved = False
    if status in LEFT_HOUSEHOLD and part.status == PartStatus.ACCEPTED.value:
        moved = move_part(
            part, PartStatus.SHIPPED, actor_kind=ACTOR, values={"tracking_number": waybill}
        )
    if status == DELIVERED and part.status == PartStatus.SHIPPED.value:
        moved = deliver_part(part, actor_kind=ACTOR) or moved
    db.session.flush()
    return "moved" if moved else "stored"


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


def _step_order(step: ShipmentEvent) -> tuple[str, int, int]:
    rank = FLOW.index(step.status) if step.status in FLOW else len(FLOW)
    return (step.happened_at, rank, step.id)
