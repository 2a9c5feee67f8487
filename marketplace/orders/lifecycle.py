"""The lifecycle of orders and their household parts, in one place.

One table of allowed moves (``ORDER_MOVES``, ``PART_MOVES``), one move function each
(a guarded UPDATE), one place that records an order event; expiry, payment and
cancellation are moves too. Functions flush and never commit.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace.db import db, now_utc, update_if
from marketplace.errors import Forbidden, MarketplaceError, NotFound, clean_reason
from marketplace.jobs import enqueue
from marketplace.observability import count
from marketplace.orders import vouchers
from marketplace.orders.messages import notify_move
from marketplace.orders.models import (
    ORDER_MOVES,
    PART_MOVES,
    Order,
    OrderEvent,
    OrderPart,
    OrderStatus,
    PartStatus,
)
from marketplace.orders.signals import part_delivered
from marketplace.orders.stock import (
    SoldOut,
    give_back_order_stock,
    give_back_part_stock,
    take_order_stock,
)
from marketplace.rupiah import format_rupiah

#: the ``to_status`` of an order event that gave money back without moving the part
REFUND_EVENT = "refund"


#: the job that cancels a cancelled part's courier booking (``orders.shipments``)
CANCEL_COURIER_JOB = "orders.cancel_courier"


class MoveRefused(MarketplaceError):
    status_code = 409


def _add_event(
    order_id: int,
    part_id: int | None,
    from_status: str | None,
    to_status: str,
    actor_kind: str,
    actor_id: int | None,
    note: str,
) -> None:
    # The one place an order event is made: the history of every order and part.
    db.session.add(
        OrderEvent(
            order_id=order_id,
            part_id=part_id,
            from_status=from_status,
            to_status=str(to_status),
            actor_kind=actor_kind,
            actor_id=actor_id,
            note=note[:300],
        )
    )


def record_event(
    order: Order,
    part: OrderPart | None,
    from_status: str | None,
    to_status: str,
    actor_kind: str,
    actor_id: int | None = None,
    note: str = "",
) -> None:
    """Record a move of the order or one of its parts, and tell whoever must hear of it."""
    _add_event(
        order.id, part.id if part else None, from_status, to_status, actor_kind, actor_id, note
    )
    notify_move(order, part, str(to_status), actor_kind=actor_kind, note=note)
    count("order_moves", kind="part" if part else "order", to_status=str(to_status))


def note_on_part(
    part: OrderPart, *, actor_kind: str, actor_id: int | None, note: str, marker: str = ""
) -> None:
    """Record something that happened to a part without moving it (a refund, a complaint,
    money released): in its history, told to no one. ``marker`` replaces the status."""
    _add_event(
        part.order_id, part.id, part.status, marker or part.status, actor_kind, actor_id, note
    )
    db.session.flush()


def move_order(
    order: Order, to: OrderStatus, *, actor_kind: str, actor_id: int | None = None, note: str = ""
) -> bool:
    """Move an order by one allowed step, guarded in the database.

    ``UPDATE ... WHERE status = <what we read>``: of two racing moves only one
    matches a row; the other gets False and changes nothing.
    """
    current = OrderStatus(order.status)
    if to not in ORDER_MOVES[current]:
        return False
    values: dict = {"status": to.value}
    if to is OrderStatus.PAID:
        values["paid_at"] = now_utc()
    moved = update_if(Order, order.id, Order.status == current.value, **values)
    if moved and "paid_at" in values:
        # the parts keep the same time, for the household's inbox (``OrderPart.paid_at``)
        db.session.execute(
            update(OrderPart)
            .where(OrderPart.order_id == order.id)
            .values(paid_at=values["paid_at"])
        )
    db.session.refresh(order)
    if not moved:
        return False
    record_event(order, None, current.value, to, actor_kind, actor_id, note)
    db.session.flush()
    return True


def move_part(
    part: OrderPart,
    to: PartStatus,
    *,
    actor_kind: str,
    actor_id: int | None = None,
    values: dict | None = None,
    note: str = "",
) -> bool:
    """Move a household's part by one allowed step (``PART_MOVES``), guarded in the database,
    and record the move: the one way any part moves (public, government, complaint, expiry).

    False, changing nothing, when the move is not allowed or another writer moved it first.
    """
    current = PartStatus(part.status)
    if to not in PART_MOVES[current]:
        return False
    moved = update_if(
        OrderPart, part.id, OrderPart.status == current.value, status=to.value, **(values or {})
    )
    db.session.refresh(part)
    if not moved:
        return False
    record_event(part.order, part, current.value, to, actor_kind, actor_id, note)
    if to is PartStatus.CANCELLED and part.shipment_id:
        # After the commit: the courier booked for it is cancelled too (never blocking this).
        enqueue(CANCEL_COURIER_JOB, part.id)
    db.session.flush()
    return True


def deliver_part(
    part: OrderPart, *, actor_kind: str, actor_id: int | None = None, note: str = ""
) -> bool:
    """The part reached the buyer: the household says so, the buyer presses "Pesanan
    diterima", or the set days after shipping passed. Its money follows (``part_delivered``).

    False, changing nothing, when it cannot move (already delivered, cancelled, a race lost).
    """
    if not move_part(
        part, PartStatus.DELIVERED, actor_kind=actor_kind, actor_id=actor_id, note=note
    ):
        return False
    part_delivered.send(part)
    return True


def expire_order(order_id: int, *, now: dt.datetime | None = None) -> bool:
    """Expire one unpaid order past its time and give its stock back, exactly once."""
    order = db.session.get(Order, order_id)
    if order is None or order.expires_at > (now or now_utc()):
        return False
    if not move_order(order, OrderStatus.EXPIRED, actor_kind="system"):
        return False
    give_back_order_stock(order)
    vouchers.give_back(order.id)
    # After the commit: close its payment page at the gateway, so no one pays it late.
    enqueue("payments.expire_checkouts", order.id)
    db.session.flush()
    return True


def due_order_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Unpaid orders whose 30 minutes are up, oldest first."""
    return list(
        db.session.scalars(
            select(Order.id)
            .where(
                Order.status == OrderStatus.AWAITING_PAYMENT.value,
                Order.expires_at <= (now or now_utc()),
            )
            .order_by(Order.id)
        )
    )


def expire_due_orders(*, now: dt.datetime | None = None) -> int:
    """Expire every due order in the caller's transaction; returns how many."""
    now = now or now_utc()
    return sum(1 for order_id in due_order_ids(now=now) if expire_order(order_id, now=now))


def mark_order_paid(order: Order, *, note: str = "") -> bool:
    """The payment is confirmed: the order is paid and each household gets its part.

    For an order that expired meanwhile, its stock is taken again first; when it
    is gone, nothing changes and False is returned (the caller refunds).
    """
    if order.status == OrderStatus.EXPIRED.value:
        try:
            with db.session.begin_nested():
                take_order_stock(order)
        except SoldOut:
            db.session.refresh(order)
            return False
    if not move_order(order, OrderStatus.PAID, actor_kind="payment", note=note):
        return False
    for part in order.parts:
        move_part(part, PartStatus.NEW, actor_kind="payment")
    return True


def mark_order_refunded(order: Order, *, note: str = "") -> bool:
    """A late payment found no stock: the order ends, its parts are cancelled."""
    if not move_order(order, OrderStatus.REFUNDED, actor_kind="payment", note=note):
        return False
    for part in order.parts:
        move_part(part, PartStatus.CANCELLED, actor_kind="payment")
    return True


#: parts a buyer may cancel: paid and not yet sent or ready
CANCELLABLE_BY_BUYER = (PartStatus.NEW.value, PartStatus.ACCEPTED.value)


def buyer_may_cancel(order: Order, part: OrderPart) -> bool:
    return order.status == OrderStatus.PAID.value and part.status in CANCELLABLE_BY_BUYER


def refuse_office_part(part: OrderPart) -> None:
    if part.order.quote_id is not None:
        raise MoveRefused(_l("Pesanan instansi dikonfirmasi dan diantar dengan tombolnya sendiri."))


def _not_cancellable(part: OrderPart) -> MoveRefused:
    if part.status == PartStatus.CANCELLED.value:
        return MoveRefused(_l("Bagian ini sudah dibatalkan."))
    if part.status in CANCELLABLE_BY_BUYER:
        return MoveRefused(_l("Status pesanan sudah berubah. Muat ulang halaman."))
    return MoveRefused(_l("Bagian ini sudah dikirim atau selesai, jadi tidak bisa dibatalkan."))


def cancel_part_for_buyer(order_id: int, part_id: int, *, actor_id: int | None) -> OrderPart:
    """The buyer cancels one household's part before it is shipped; its stock goes back.

    The caller records the refund of the part's share in the same unit of work.
    """
    part = db.session.scalar(
        select(OrderPart).where(OrderPart.id == part_id, OrderPart.order_id == order_id)
    )
    if part is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    refuse_office_part(part)
    if part.status not in CANCELLABLE_BY_BUYER:
        raise _not_cancellable(part)
    if not move_part(part, PartStatus.CANCELLED, actor_kind="buyer", actor_id=actor_id):
        raise _not_cancellable(part)  # moved meanwhile: the part as it is now
    give_back_part_stock(part)
    return part


#: parts an admin may still cancel: paid and not yet delivered
CANCELLABLE_BY_ADMIN = (
    PartStatus.NEW.value,
    PartStatus.ACCEPTED.value,
    PartStatus.SHIPPED.value,
    PartStatus.READY_FOR_PICKUP.value,
)


def cancel_part_by_admin(part: OrderPart, *, actor_id: int, note: str) -> bool:
    """An admin cancels a part that was not delivered; its stock goes back once.

    False when the part is already cancelled (a second click); the guarded move
    makes sure only one of two racing calls gives the stock back.
    """
    if part.status == PartStatus.CANCELLED.value:
        return False
    if part.status not in CANCELLABLE_BY_ADMIN:
        raise MoveRefused(_l("Bagian ini sudah sampai, jadi tidak bisa dibatalkan."))
    if not move_part(
        part, PartStatus.CANCELLED, actor_kind="admin", actor_id=actor_id, note=note[:300]
    ):
        return False
    give_back_part_stock(part)
    return True


def record_part_refund(
    part: OrderPart, amount: int, *, actor_id: int | None, note: str, actor_kind: str = "admin"
) -> None:
    """Money given back for a part without a status move: an event saying who, how much, why."""
    text = f"{format_rupiah(amount)}: {note}" if note else format_rupiah(amount)
    note_on_part(part, actor_kind=actor_kind, actor_id=actor_id, note=text, marker=REFUND_EVENT)


# --- the buyer confirms receipt, the household declines -------------------------------------

#: parts the buyer can say arrived: handed to a courier, or ready to collect
RECEIVABLE = (PartStatus.SHIPPED.value, PartStatus.READY_FOR_PICKUP.value)


def may_act_as_buyer(order: Order, part: OrderPart, user_id: int | None) -> bool:
    """Who holds the order's link and may speak for its buyer: the account that placed it
    (a link passed on, to the household on WhatsApp say, is not enough), or, for an order
    placed signed out, whoever holds the link, except the household that sent the part."""
    if order.buyer_id is not None:
        return user_id == order.buyer_id
    return user_id is None or part.seller.user_id != user_id


def parts_to_confirm(order: Order, user_id: int | None) -> set[int]:
    """The parts whose "Pesanan diterima" button ``user_id`` sees on the order's page."""
    if order.quote_id is not None:
        return set()
    return {
        part.id
        for part in order.parts
        if part.status in RECEIVABLE and may_act_as_buyer(order, part, user_id)
    }


def confirm_receipt(order: Order, part_id: int, *, user_id: int | None) -> bool:
    """The buyer presses "Pesanan diterima": the part is delivered and its money follows.

    False when it was already delivered (a second tap); refused with a reason otherwise.
    """
    part = next((part for part in order.parts if part.id == part_id), None)
    if part is None:
        raise NotFound(_l("Bagian pesanan tidak ditemukan."))
    if not may_act_as_buyer(order, part, user_id):
        raise Forbidden(_l("Hanya pemesan yang dapat mengonfirmasi pesanan diterima."))
    refuse_office_part(part)
    if part.status == PartStatus.DELIVERED.value:
        return False
    if part.status == PartStatus.CANCELLED.value:
        raise MoveRefused(_l("Bagian ini sudah dibatalkan."))
    if part.status not in RECEIVABLE:
        raise MoveRefused(
            _l("Penjual belum mengirim bagian ini, jadi belum bisa dikonfirmasi diterima.")
        )
    if deliver_part(part, actor_kind="buyer", actor_id=user_id):
        return True
    if part.status == PartStatus.DELIVERED.value:  # the household or the timer came first
        return False
    raise MoveRefused(_l("Status pesanan sudah berubah. Muat ulang halaman."))


#: parts a household may decline: paid, and not yet sent or ready
DECLINABLE_BY_HOUSEHOLD = CANCELLABLE_BY_BUYER
MAX_DECLINE_REASON = 250


def decline_part_for_household(part: OrderPart, *, actor_id: int, reason: str) -> str:
    """The household cannot make a paid public part: it is cancelled with the reason, and
    its stock goes back. Returns the reason as recorded.

    The caller refunds the part (goods and shipping) in the same unit of work.
    """
    refuse_office_part(part)
    reason = clean_reason(
        reason,
        maximum=MAX_DECLINE_REASON,
        missing=_l("Tulis alasan Anda menolak pesanan ini."),
        error=MoveRefused,
    )
    if part.order.status != OrderStatus.PAID.value or part.status not in DECLINABLE_BY_HOUSEHOLD:
        raise MoveRefused(_l("Hanya pesanan dibayar yang belum dikirim yang bisa ditolak."))
    if not move_part(
        part, PartStatus.CANCELLED, actor_kind="seller", actor_id=actor_id, note=reason
    ):
        raise MoveRefused(_l("Status pesanan sudah berubah. Muat ulang halaman."))
    give_back_part_stock(part)
    return reason
