"""Payments for orders: start one, record what the gateway says, refund what must go back.

Functions flush and never commit. Gateway calls that follow a state change (a
refund) are not made here: :func:`record_intent` returns the payments to refund
and the caller refunds them after its commit, with :func:`refund_payment`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from marketplace.db import db, now_utc, read_rows, update_if
from marketplace.errors import MarketplaceError
from marketplace.money import services as payouts
from marketplace.money.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from marketplace.orders import lifecycle, notes, queries
from marketplace.orders.models import Order, OrderPart, OrderStatus, order_number
from marketplace.paging import Page, paginate
from marketplace.payments.gateway import GatewayError, GatewayRefund, Intent, Line, PaymentGateway
from marketplace.payments.models import WebhookEvent
from marketplace.rupiah import format_rupiah

log = logging.getLogger(__name__)

#: events about a payment attempt (a Checkout Session, or a payment of the test gateway)
PAYMENT_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
)
#: events about a refund: they confirm ours whose answer from the gateway got lost, and
#: bring those made at the gateway (its dashboard); ``charge.refunded`` names the charge
REFUND_EVENTS = ("refund.created", "refund.updated", "charge.refunded")
HANDLED_EVENTS = PAYMENT_EVENTS + REFUND_EVENTS


class PaymentError(MarketplaceError):
    pass


#: Who applies a succeeded payment of an order that checkout did not open: each answers
#: None (not mine), True (applied) or False (not wanted: refund it).
_OTHER_SETTLEMENTS: list[Callable[[Order, Payment], bool | None]] = []


def settles_payments(handler: Callable[[Order, Payment], bool | None]):
    """Register a package's own way of applying a payment of its orders (a decorator)."""
    _OTHER_SETTLEMENTS.append(handler)
    return handler


def _attempt_key(order_id: int, attempt: int) -> str:
    return f"order-{order_id}-attempt-{attempt}"


@dataclass(frozen=True)
class NewAttempt:
    """What the gateway needs to open a payment: read first, created outside any lock."""

    order_id: int
    amount: int
    email: str
    idempotency_key: str
    #: what the buyer sees on the gateway's page: each product, each household's shipping
    lines: tuple[Line, ...] = ()
    success_url: str = ""
    cancel_url: str = ""
    #: the method picked at a gateway of several (``qris``, ``bca``…); "" for a card
    method: str = ""
    #: when the order stops waiting for its payment: the gateway's payment ends with it
    expires_at: dt.datetime | None = None


def pending_payment(
    order_id: int, gateway_name: str | None = None, method: str | None = None
) -> Payment | None:
    """The order's latest pending payment (of that gateway and method, when named)."""
    query = select(Payment).where(
        Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING.value
    )
    if gateway_name is not None:
        query = query.where(Payment.gateway == gateway_name)
    if method is not None:
        query = query.where(Payment.method == method)
    return db.session.scalar(query.order_by(Payment.id.desc()))


def next_attempt(order_id: int, method: str = "") -> NewAttempt:
    """The next payment attempt of an order awaiting payment.

    The idempotency key is derived from the order and the attempt number, so a
    reload, a retry or a second tab asks the gateway for the same intent, and the
    unique key refuses a second row for it.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise PaymentError(_l("Pesanan tidak ditemukan."))
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        raise PaymentError(_l("Pesanan ini tidak menunggu pembayaran lagi."))
    attempts = db.session.scalar(
        select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
    )
    return NewAttempt(
        order_id=order_id,
        amount=order.total_amount,
        email=order.contact_email,
        idempotency_key=_attempt_key(order_id, (attempts or 0) + 1),
        lines=order_lines(order),
        success_url=_order_url(order, "payments.pay_return", "/bayar/selesai")
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=_order_url(order, "payments.order_page", ""),
        method=method,
        expires_at=order.expires_at,
    )


def order_lines(order: Order) -> tuple[Line, ...]:
    """The order as lines for the payment page: its products, then each household's shipping."""
    lines = []
    for part in order.parts:
        for line in part.lines:
            name = f"{line.full_name} ({line.unit})" if line.unit else line.full_name
            lines.append(Line(f"{name} · {part.shop_name}", line.unit_price_amount, line.quantity))
        if part.shipping_amount:
            lines.append(
                Line(_("Ongkos kirim · %(shop)s", shop=part.shop_name), part.shipping_amount)
            )
    if sum(line.unit_amount * line.quantity for line in lines) != order.total_amount:
        # Never show the buyer lines that disagree with what is charged.
        return (Line(_("Pesanan %(number)s", number=order.number), order.total_amount),)
    return tuple(lines)


def _order_url(order: Order, endpoint: str, path: str) -> str:
    """An absolute link to an order's page: this host, or ``SITE_URL`` out of a request."""
    if has_request_context():
        return url_for(endpoint, token=order.access_token, _external=True)
    site = current_app.config["SITE_URL"].rstrip("/")
    return f"{site}/pesanan/{order.access_token}{path}"


def create_intent(attempt: NewAttempt, gateway: PaymentGateway) -> Intent:
    """Ask the gateway for the intent; call it with no transaction open."""
    try:
        return gateway.create_intent(
            amount=attempt.amount,
            order_id=attempt.order_id,
            email=attempt.email,
            idempotency_key=attempt.idempotency_key,
            lines=attempt.lines,
            success_url=attempt.success_url,
            cancel_url=attempt.cancel_url,
            method=attempt.method,
            expires_at=attempt.expires_at,
        )
    except GatewayError as error:
        log.warning("payment gateway refused order %s: %s", attempt.order_id, error)
        raise PaymentError(_l("Pembayaran belum bisa dimulai. Coba lagi sebentar lagi.")) from error


def record_payment(attempt: NewAttempt, intent: Intent, gateway_name: str) -> Payment:
    """Keep the opened intent; a twin with the same key fails at the flush."""
    payment = Payment(
        order_id=attempt.order_id,
        gateway=gateway_name,
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount=attempt.amount,
        idempotency_key=attempt.idempotency_key,
        method=attempt.method,
        instructions=intent.instructions or None,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def open_payment(order_id: int, gateway: PaymentGateway) -> Payment:
    """All of the above in the caller's transaction (tests, scripts); views split it."""
    if payment := pending_payment(order_id):
        return payment
    attempt = next_attempt(order_id)
    return record_payment(attempt, create_intent(attempt, gateway), gateway.name)


def record_intent(intent: Intent) -> list[int]:
    """Apply what the gateway says about a payment; the same news twice changes nothing.

    Money that arrived for an order whose stock was gone, or a second payment for an
    order already paid, is recorded as a refund; returns the refunds to send to the
    gateway after the commit.
    """
    payment = db.session.scalar(select(Payment).where(Payment.intent_id == intent.id))
    if payment is None:
        log.info("ignoring unknown payment %s", intent.id)
        return []
    if not intent.succeeded:
        if intent.over:
            _move_payment(payment, PaymentStatus.FAILED)
        return []
    if intent.amount != payment.amount or intent.currency != "idr":
        log.error(
            "payment %s: %s %s paid, IDR %s expected",
            intent.id,
            intent.currency,
            intent.amount,
            payment.amount,
        )
        return []
    if not _move_payment(payment, PaymentStatus.SUCCEEDED):
        return []
    if intent.fee:
        # What the gateway kept is the platform's cost, whatever becomes of the order.
        payouts.record_fee_entries(payment.id, intent.fee)
    order = db.session.get(Order, payment.order_id)
    assert order is not None
    for settles in _OTHER_SETTLEMENTS:
        # An order paid otherwise than by checkout (a protocol office's card pays its
        # invoice): its own package applies the payment; what it cannot take goes back.
        taken = settles(order, payment)
        if taken is None:
            continue
        if taken:
            return []
        return [
            queue_refund(
                payment, payment.amount, RefundReason.DUPLICATE, f"payment-{payment.id}-refund"
            ).id
        ]
    if order.status == OrderStatus.AWAITING_PAYMENT.value and lifecycle.expire_order(order.id):
        db.session.refresh(order)
    if lifecycle.mark_order_paid(order, note=intent.id):
        payouts.record_payment_entries(order)
        return []
    reason = RefundReason.DUPLICATE
    if order.status == OrderStatus.EXPIRED.value:
        lifecycle.mark_order_refunded(order, note=notes.written(notes.LATE_NO_STOCK))
        reason = RefundReason.LATE_NO_STOCK
    # Paid too late with no stock left, or a second payment of a paid order: give it back.
    refund = queue_refund(payment, payment.amount, reason, f"payment-{payment.id}-refund")
    return [refund.id]


def queue_refund(
    payment: Payment,
    amount: int,
    reason: RefundReason,
    idempotency_key: str,
    part_id: int | None = None,
    created_by_id: int | None = None,
) -> Refund:
    """Record money to give back; never more than the payment still holds."""
    already = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.payment_id == payment.id)
    )
    if (already or 0) + amount > payment.amount:
        raise PaymentError(_l("Jumlah pengembalian melebihi pembayaran."))
    refund = Refund(
        payment_id=payment.id,
        part_id=part_id,
        amount=amount,
        reason=reason.value,
        idempotency_key=idempotency_key,
        created_by_id=created_by_id,
    )
    db.session.add(refund)
    db.session.flush()
    payouts.record_refund_entries(refund.id, part_id, amount)
    return refund


def lock_payment(order_id: int) -> Payment | None:
    """The order's payment, read ``FOR UPDATE``: every refund of an order takes it first.

    Two refunds of one order (an admin's, the buyer's own cancel, a double click) wait
    for each other here on PostgreSQL and the second sees what the first gave back; on
    SQLite the unit of work holds the write lock from its BEGIN. A payment given back in
    full is returned too (locked), so that the caller can say so.
    """
    return db.session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order_id,
            Payment.status.in_([PaymentStatus.SUCCEEDED.value, PaymentStatus.REFUNDED.value]),
        )
        .order_by(Payment.id)
        .limit(1)
        .with_for_update()
        # what the row says now that it is locked, not what this session read before
        .execution_options(populate_existing=True)
    )


def part_left(part: OrderPart) -> int:
    """What is left to give back of a part's share, in whole rupiah: goods and shipping, or
    the goods only once the part was shipped (the household has paid the courier); less a
    voucher's discount, which the buyer never paid."""
    return parts_left([part])[part.id]


def parts_left(parts: list[OrderPart]) -> dict[int, int]:
    """``part_left`` of each of ``parts``, in one query."""
    if not parts:
        return {}
    given = dict(
        db.session.execute(
            select(Refund.part_id, func.sum(Refund.amount))
            .where(Refund.part_id.in_([part.id for part in parts]))
            .group_by(Refund.part_id)
        ).all()
    )
    shipped = payouts.shipped_part_ids([part.id for part in parts])
    # int(): PostgreSQL sums BIGINT into NUMERIC
    return {
        part.id: part.items_amount
        - part.discount_amount
        + (0 if part.id in shipped else part.shipping_amount)
        - int(given.get(part.id) or 0)
        for part in parts
    }


def give_back_part(
    payment: Payment,
    part: OrderPart,
    amount: int | None,
    reason: RefundReason,
    idempotency_key: str,
    *,
    actor_id: int | None = None,
    actor_kind: str = "admin",
    note: str = "",
) -> Refund | None:
    """The one way money of a household's part goes back; ``payment`` was read with
    :func:`lock_payment` in this transaction.

    ``amount`` None gives back all that is left of the part's share (None when nothing
    is); an amount above what is left is refused. Records the refund (and through it the
    ledger's reversal) and an order event saying who, how much and why.
    """
    left = part_left(part)
    if amount is None:
        if left <= 0:
            return None
        amount = left
    elif amount > left:
        raise PaymentError(
            _l(
                "Jumlah pengembalian melebihi sisa bagian penjual ini (%(left)s).",
                left=format_rupiah(max(left, 0)),
            ),
            field="amount",
        )
    refund = queue_refund(
        payment, amount, reason, idempotency_key, part_id=part.id, created_by_id=actor_id
    )
    lifecycle.record_part_refund(part, amount, actor_id=actor_id, note=note, actor_kind=actor_kind)
    return refund


def refund_part(part_id: int) -> Refund | None:
    """Give back what is left of one household's share (its goods and shipping)."""
    part = db.session.get(OrderPart, part_id)
    if part is None:
        return None
    payment = lock_payment(part.order_id)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED.value:
        return None
    return give_back_part(
        payment,
        part,
        None,
        RefundReason.PART_CANCELLED,
        f"part-{part.id}-refund",
        actor_kind="system",
    )


def _move_payment(payment: Payment, to: PaymentStatus) -> bool:
    """pending -> succeeded/failed, guarded so that only one of two racing calls moves it."""
    moved = update_if(
        Payment, payment.id, Payment.status == PaymentStatus.PENDING.value, status=to.value
    )
    db.session.refresh(payment)
    return moved


def event_misfit(order_id: int | None, intent: Intent | None = None) -> str | None:
    """Why a payment event cannot be trusted here, or None.

    It names an order this site does not have, or (``intent``: the gateway's answer) the
    payment is recorded for another order than the one it names.
    """
    if intent is not None and intent.order_id is not None:
        recorded = db.session.scalar(select(Payment.order_id).where(Payment.intent_id == intent.id))
        if recorded is not None and recorded != intent.order_id:
            return f"{intent.id} pays order {recorded}, not order {intent.order_id}"
        order_id = intent.order_id
    if order_id is not None and db.session.get(Order, order_id) is None:
        return f"no order {order_id}"
    return None


def remember_event(gateway_name: str, event_id: str, event_type: str) -> bool:
    """Store an event id; False when it was already handled (a replay)."""
    if db.session.scalar(
        select(WebhookEvent.id).where(
            WebhookEvent.gateway == gateway_name, WebhookEvent.event_id == event_id
        )
    ):
        return False
    db.session.add(WebhookEvent(gateway=gateway_name, event_id=event_id, event_type=event_type))
    # The unique (gateway, event_id) refuses a concurrent twin at this flush.
    db.session.flush()
    return True


ORDERS_PER_PAGE = 50  #: orders on one page of the admin's orders


class RecentOrder(NamedTuple):
    """An order as the admin's list shows it: the columns it reads, a tuple per row."""

    id: int
    number: str
    contact_name: str
    total: str  #: written, ``Rp35.000``
    status: str


_RECENT_ORDERS = select(Order.id, Order.contact_name, Order.total_amount, Order.status)
_RECENT_ORDERS = _RECENT_ORDERS.order_by(Order.id.desc())


def list_recent_orders(page: int = 1) -> Page[RecentOrder]:
    """One page of the orders, newest first, as rows (the statement built once)."""
    return paginate(_RECENT_ORDERS, page, ORDERS_PER_PAGE, rows=True, each=_recent_order)


def _recent_order(row) -> RecentOrder:
    return RecentOrder(row[0], order_number(row[0]), row[1], format_rupiah(row[2]), row[3])


@dataclass(frozen=True)
class RefundDue:
    refund_id: int
    intent_id: str
    amount: int
    idempotency_key: str
    #: the gateway and method the payment was made with (who is asked to give it back)
    gateway: str = ""
    method: str = ""


def refund_due(refund_id: int) -> RefundDue | None:
    """What a pending refund asks of the gateway; None once it went through."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING.value:
        return None
    payment = refund.payment
    return RefundDue(
        refund.id,
        payment.intent_id,
        refund.amount,
        refund.idempotency_key,
        payment.gateway,
        payment.method,
    )


def record_refund(refund_id: int, gateway_refund_id: str | None) -> bool:
    """pending -> succeeded, once; a payment given back in full is marked refunded.

    ``gateway_refund_id`` None: a slice of a refund made at the gateway, whose id names
    the slices in their keys (``refunds.external_key``)."""
    if not update_if(
        Refund,
        refund_id,
        Refund.status == RefundStatus.PENDING.value,
        status=RefundStatus.SUCCEEDED.value,
        gateway_refund_id=gateway_refund_id,
        refunded_at=now_utc(),
    ):
        return False
    refund = db.session.get(Refund, refund_id)
    assert refund is not None
    db.session.refresh(refund)
    given = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == refund.payment_id,
            Refund.status == RefundStatus.SUCCEEDED.value,
        )
    )
    if given == refund.payment.amount:
        db.session.execute(
            update(Payment)
            .where(Payment.id == refund.payment_id)
            .values(status=PaymentStatus.REFUNDED.value)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return True


def confirm_gateway_refund(refund: GatewayRefund) -> bool:
    """A refund event: mark our refund done if the gateway's answer to us got lost."""
    if refund.status != "succeeded" or not refund.idempotency_key:
        return False
    refund_id = db.session.scalar(
        select(Refund.id).where(Refund.idempotency_key == refund.idempotency_key)
    )
    if refund_id is None:
        log.info("ignoring unknown refund %s", refund.id)
        return False
    return record_refund(refund_id, refund.id)


def pending_refund_ids() -> list[int]:
    return list(
        db.session.scalars(
            select(Refund.id).where(Refund.status == RefundStatus.PENDING.value).order_by(Refund.id)
        )
    )


def refunds_of(order_id: int) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.order_id == order_id)
            .order_by(Refund.id)
        )
    )


def refunded_amounts(order_ids: list[int]) -> dict[int, int]:
    """What was given back of each order's parts (pending refunds too), in one query."""
    if not order_ids:
        return {}
    rows = read_rows(
        select(Payment.order_id, func.sum(Refund.amount))
        .join(Refund, Refund.payment_id == Payment.id)
        .where(Payment.order_id.in_(order_ids), Refund.part_id.is_not(None))
        .group_by(Payment.order_id)
    )
    # int(): PostgreSQL sums BIGINT into NUMERIC
    return {order_id: int(total) for order_id, total in rows}


def payments_of(order_id: int) -> list[Payment]:
    return list(
        db.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))
    )


@dataclass(frozen=True)
class OrderMoney:
    """What the buyer's order page shows of money: refunds, and what a cancel gives back."""

    refunds: list[Refund]
    #: given back of the parts (pending refunds too), whole rupiah
    refunded: int
    #: per part the buyer may still cancel: what its cancel button would give back
    cancel_amounts: dict[int, int]
    shown_status: str


def order_money(order: Order) -> OrderMoney:
    refunds = refunds_of(order.id)
    refunded = sum(refund.amount for refund in refunds if refund.part_id is not None)
    cancellable = [part for part in order.parts if lifecycle.buyer_may_cancel(order, part)]
    return OrderMoney(
        refunds=refunds,
        refunded=refunded,
        cancel_amounts={key: max(left, 0) for key, left in parts_left(cancellable).items()},
        shown_status=queries.shown_status(order, refunded),
    )


def shown_statuses(order_list: list[Order]) -> dict[int, str]:
    """The status the buyer reads of each order, refunds counted, in one query."""
    refunded = refunded_amounts([order.id for order in order_list])
    return {
        order.id: queries.shown_status(order, refunded.get(order.id, 0)) for order in order_list
    }
