"""A household's inbox: the parts it must make, accept and send, and the steps it takes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.catalog.models import Seller
from marketplace.db import db, read_rows
from marketplace.errors import NotFound
from marketplace.orders.lifecycle import (
    MoveRefused,
    deliver_part,
    move_part,
    refuse_office_part,
)
from marketplace.orders.models import (
    Delivery,
    Order,
    OrderEvent,
    OrderLine,
    OrderPart,
    PartStatus,
    line_full_name,
    order_number,
)
from marketplace.paging import Page, paginate

#: what a household does with a part, and the status it moves the part to
SELLER_ACTIONS: dict[str, PartStatus] = {
    "accept": PartStatus.ACCEPTED,
    "ship": PartStatus.SHIPPED,
    "ready": PartStatus.READY_FOR_PICKUP,
    "delivered": PartStatus.DELIVERED,
}


#: parts a household sees: paid ones; unpaid and cancelled ones are not theirs to act on
VISIBLE_TO_SELLER = (
    PartStatus.NEW.value,
    PartStatus.ACCEPTED.value,
    PartStatus.SHIPPED.value,
    PartStatus.READY_FOR_PICKUP.value,
    PartStatus.DELIVERED.value,
    # a protocol office's order: made and packed before it is delivered
    PartStatus.PRODUCED.value,
    PartStatus.PACKED.value,
)


NO_SHOP = _l("Anda belum punya toko.")


def seller_for_user(user_id: int) -> Seller:
    seller = db.session.scalar(select(Seller).where(Seller.user_id == user_id))
    if seller is None:
        raise NotFound(NO_SHOP)
    return seller


@cache
def _seller_id_statement():
    return select(Seller.id).where(Seller.user_id == bindparam("user_id"))


def seller_id_for_user(user_id: int) -> int:
    """The household's id alone, for the pages that need nothing else of the household."""
    seller_id = read_rows(_seller_id_statement(), {"user_id": user_id}).scalar()
    if seller_id is None:
        raise NotFound(NO_SHOP)
    return seller_id


@cache
def _seller_slug_statement():
    return select(Seller.id, Seller.slug).where(Seller.user_id == bindparam("user_id"))


def seller_slug_for_user(user_id: int) -> tuple[int, str]:
    """The household's id and slug (a file's name), for the pages that need no more."""
    row = read_rows(_seller_slug_statement(), {"user_id": user_id}).first()
    if row is None:
        raise NotFound(NO_SHOP)
    return row[0], row[1]


def _seen_by_seller():
    """A part in a household's inbox: one to act on, or one cancelled after it had reached
    them (paid, or an office's order to confirm), so they know to stop making it."""
    reached = (
        select(OrderEvent.id)
        .where(
            OrderEvent.order_id == OrderPart.order_id,  # indexed; the part narrows it
            OrderEvent.part_id == OrderPart.id,
            OrderEvent.to_status == PartStatus.NEW.value,
        )
        .exists()
    )
    return or_(
        OrderPart.status.in_(VISIBLE_TO_SELLER),
        and_(OrderPart.status == PartStatus.CANCELLED.value, reached),
    )


def cancellation_of(part: OrderPart) -> OrderEvent | None:
    """The move that cancelled ``part`` (who, when, why), if it is cancelled."""
    if part.status != PartStatus.CANCELLED.value:
        return None
    return db.session.scalar(
        select(OrderEvent)
        .where(
            OrderEvent.order_id == part.order_id,
            OrderEvent.part_id == part.id,
            OrderEvent.to_status == PartStatus.CANCELLED.value,
        )
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


#: order parts on one page of the household's inbox
PARTS_PER_PAGE = 30


class InboxPart(NamedTuple):
    """One part of the household's inbox as the list shows it: plain values, in the order
    the list's loop unpacks them."""

    id: int
    order_number: str
    status: str
    items_amount: int
    delivery: str
    #: "2 × Amplang Tenggiri (Pedas / 250 g), 1 × Kerupuk Ikan"
    lines: str


@cache
def _inbox_statements():
    """A page of the household's parts, newest payment first (read from the index on
    ``(seller_id, paid_at, id)``: the part keeps its order's payment time), and the page's
    lines; built once."""
    page = (
        select(
            OrderPart.id,
            OrderPart.order_id,
            OrderPart.status,
            OrderPart.items_amount,
            OrderPart.delivery,
        )
        .where(OrderPart.seller_id == bindparam("seller_id"), _seen_by_seller())
        .order_by(OrderPart.paid_at.desc(), OrderPart.id.desc())
    )
    lines = (
        select(
            OrderLine.part_id, OrderLine.quantity, OrderLine.product_name, OrderLine.variant_label
        )
        .where(OrderLine.part_id.in_(bindparam("ids", expanding=True)))
        .order_by(OrderLine.id)
    )
    return page, lines


def list_seller_parts(seller_id: int, page: int = 1) -> Page[InboxPart]:
    """One page of the household's paid parts, newest first: the columns the list shows,
    then the page's lines (two statements, rows rather than objects)."""
    page_stmt, lines_stmt = _inbox_statements()
    parts = paginate(page_stmt, page, PARTS_PER_PAGE, rows=True, params={"seller_id": seller_id})
    lines: dict[int, list[str]] = defaultdict(list)
    if parts.items:
        ids = [row[0] for row in parts.items]
        for part_id, quantity, name, variant in read_rows(lines_stmt, {"ids": ids}):
            lines[part_id].append(f"{quantity} × {line_full_name(name, variant)}")
    parts.items = [
        InboxPart(
            part_id,
            order_number(order_id),
            status,
            items_amount,
            delivery,
            ", ".join(lines[part_id]),
        )
        for part_id, order_id, status, items_amount, delivery in parts.items
    ]
    return parts


def _own_part():
    """Which part a household may open: its own, from its inbox (the one rule of
    ``get_part_for_seller`` and ``part_page_of``)."""
    return (
        OrderPart.id == bindparam("part_id"),
        OrderPart.seller_id == bindparam("seller_id"),
        _seen_by_seller(),
    )


PART_NOT_FOUND = _l("Pesanan tidak ditemukan.")


@cache
def _part_statement():
    """One of a household's parts with its lines and order (built once)."""
    return (
        select(OrderPart)
        .where(*_own_part())
        .options(selectinload(OrderPart.lines), joinedload(OrderPart.order))
    )


def get_part_for_seller(part_id: int, seller_id: int) -> OrderPart:
    """A household's own part from its inbox, or NotFound: another household's does not exist."""
    part = db.session.scalar(_part_statement(), {"part_id": part_id, "seller_id": seller_id})
    if part is None:
        raise NotFound(PART_NOT_FOUND)
    return part


class PartPageOrder(NamedTuple):
    """The part's order as the part page shows it: its number, state and the buyer."""

    id: int
    status: str
    quote_id: int | None
    contact_name: str
    contact_whatsapp: str
    street: str
    district: str
    city: str
    province: str
    postal_code: str

    @property
    def number(self) -> str:
        return order_number(self.id)


class PartPageLine(NamedTuple):
    quantity: int
    product_name: str
    variant_label: str
    line_amount: int

    @property
    def full_name(self) -> str:
        return line_full_name(self.product_name, self.variant_label)


@dataclass(frozen=True, slots=True)
class PartPage:
    """A household's part as its page (GET) shows it: plain values under ``OrderPart``'s
    names, so the rules that read a part (``shipments.may_book``, ``cancellation_of``, the
    buyer's contact in ``personal_data``, an office's terms) read these the same way."""

    id: int
    order_id: int
    status: str
    delivery: str
    courier: str
    courier_service: str
    tracking_number: str
    shipment_id: str | None
    shipping_amount: int
    order: PartPageOrder
    lines: list[PartPageLine]


@cache
def _part_page_statements():
    """The part page's part with its order's columns, and its lines (built once)."""
    part = (
        select(
            OrderPart.id,
            OrderPart.order_id,
            OrderPart.status,
            OrderPart.delivery,
            OrderPart.courier,
            OrderPart.courier_service,
            OrderPart.tracking_number,
            OrderPart.shipment_id,
            OrderPart.shipping_amount,
            Order.id,
            Order.status,
            Order.quote_id,
            Order.contact_name,
            Order.contact_whatsapp,
            Order.street,
            Order.district,
            Order.city,
            Order.province,
            Order.postal_code,
        )
        .join(Order, Order.id == OrderPart.order_id)
        .where(*_own_part())
    )
    lines = (
        select(
            OrderLine.quantity,
            OrderLine.product_name,
            OrderLine.variant_label,
            OrderLine.line_amount,
        )
        .where(OrderLine.part_id == bindparam("part_id"))
        .order_by(OrderLine.id)
    )
    return part, lines


def part_page_of(part_id: int, seller_id: int) -> PartPage:
    """What the household's part page shows of its own part (``get_part_for_seller``'s
    rule), read as two statements of rows, or NotFound."""
    part_stmt, lines_stmt = _part_page_statements()
    row = read_rows(part_stmt, {"part_id": part_id, "seller_id": seller_id}).first()
    if row is None:
        raise NotFound(PART_NOT_FOUND)
    lines = [PartPageLine(*line) for line in read_rows(lines_stmt, {"part_id": part_id})]
    return PartPage(*row[:9], order=PartPageOrder(*row[9:]), lines=lines)


def move_part_for_seller(
    part_id: int,
    seller_id: int,
    action: str,
    *,
    actor_id: int,
    courier: str = "",
    tracking_number: str = "",
) -> OrderPart:
    """Accept, ship (courier and tracking number), mark ready for pickup, or delivered."""
    part = get_part_for_seller(part_id, seller_id)
    refuse_office_part(part)
    to = SELLER_ACTIONS.get(action)
    if to is None:
        raise MoveRefused(_l("Langkah ini tidak dikenal."))
    values: dict = {}
    if to is PartStatus.SHIPPED:
        if part.delivery == Delivery.PICKUP.value:
            raise MoveRefused(_l("Pesanan ini diambil sendiri oleh pembeli, bukan dikirim."))
        courier, tracking_number = courier.strip()[:60], tracking_number.strip()[:60]
        if not courier or not tracking_number:
            raise MoveRefused(_l("Isi nama kurir dan nomor resi."), field="courier")
        values = {"courier": courier, "tracking_number": tracking_number}
    if to is PartStatus.READY_FOR_PICKUP and part.delivery != Delivery.PICKUP.value:
        raise MoveRefused(_l("Pesanan ini dikirim, bukan diambil sendiri."))
    if to is PartStatus.DELIVERED:
        moved = deliver_part(part, actor_kind="seller", actor_id=actor_id)
    else:
        moved = move_part(part, to, actor_kind="seller", actor_id=actor_id, values=values)
    if not moved:
        raise MoveRefused(_l("Status pesanan sudah berubah. Muat ulang halaman."))
    return part


#: a part the household still has to make, pack or send
OPEN_PART_STATUSES = (
    PartStatus.NEW.value,
    PartStatus.ACCEPTED.value,
    PartStatus.PRODUCED.value,
    PartStatus.PACKED.value,
)


def open_parts(seller_id: int) -> list[OrderPart]:
    """The household's orders not yet sent: what it must still do before going away."""
    return list(
        db.session.scalars(
            select(OrderPart)
            .join(OrderPart.order)
            .where(OrderPart.seller_id == seller_id, OrderPart.status.in_(OPEN_PART_STATUSES))
            .options(selectinload(OrderPart.lines), joinedload(OrderPart.order))
            .order_by(OrderPart.id)
        ).unique()
    )
