"""A protocol office's order: an approved quote made into an ``Order`` with one part per
household, confirmed or declined by each household, made, packed, delivered, received.

A government order is a normal :class:`~marketplace.orders.models.Order` whose
``quote_id`` names the quotation: the households' inbox, the ledger and the reports
see it like any other. It is ``invoiced``: paid after delivery, against the invoice.
Functions flush and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Seller
from marketplace.catalog.pricing import commission_rate_bp
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc, update_if
from marketplace.errors import MarketplaceError, NotFound
from marketplace.institutions import documents
from marketplace.institutions.members import membership_of
from marketplace.institutions.messages import (
    ask_household,
    tell_officer_of_cancel,
    tell_officer_of_delivery,
)
from marketplace.institutions.models import GovPart, Quote, ReceivedLine
from marketplace.institutions.settings import setting
from marketplace.inventory.stock import give_back_stock, release_holds, take_stock
from marketplace.money import services as payouts
from marketplace.orders.lifecycle import move_part as lifecycle_move_part
from marketplace.orders.lifecycle import record_event
from marketplace.orders.models import (
    Delivery,
    Order,
    OrderLine,
    OrderPart,
    OrderStatus,
    PartStatus,
    order_number,
)
from marketplace.pdf import letterhead

KALTARA = "Kalimantan Utara"


class GovOrderError(MarketplaceError):
    status_code = 409


# -- approval → order ---------------------------------------------------------------------


def confirm_deadline(delivery_date: dt.date, products: list[Product]) -> dt.date:
    """The day a household must answer by: some days before it must start making the goods.

    Never before tomorrow, so a household always has a day to answer.
    """
    longest = max((p.lead_time_days for p in products), default=0)
    start = delivery_date - dt.timedelta(days=longest)
    deadline = start - dt.timedelta(days=setting("GOV_CONFIRM_DAYS_BEFORE_PRODUCTION"))
    return max(deadline, today_local() + dt.timedelta(days=1))


def _take_stock_for(
    product: Product, quantity: int, name: str, quote_id: int, variant_id: int | None = None
) -> None:
    """Goods from stock leave the stock now; made-to-order goods keep their hold.

    A made-to-order hold already stands until the delivery date and counts
    against the household's production days, so it is the capacity taken.
    A stock hold is turned into taken stock with one guarded UPDATE, once: the quote's
    own hold is there for it, what others hold is not.
    """
    if product.is_made_to_order:
        return
    if not take_stock(product.id, quantity, for_quote_id=quote_id, variant_id=variant_id):
        raise GovOrderError(
            _l(
                "Stok %(name)s tidak cukup lagi. Kembalikan penawaran agar staf menggantinya.",
                name=name,
            )
        )


def _new_part(
    order: Order, seller: Seller, lines: list[tuple[Product, int, int, str]]
) -> OrderPart:
    """A part for ``seller`` with (product, quantity, unit price, name) lines."""
    part = OrderPart(
        seller_id=seller.id,
        shop_name=seller.shop_name,
        status=PartStatus.NEW.value,
        items_amount=sum(quantity * price for _p, quantity, price, _n in lines),
        shipping_amount=0,
        weight_grams=sum(p.weight_grams * quantity for p, quantity, _pr, _n in lines),
        commission_rate_bp=commission_rate_bp(p for p, *_rest in lines),
    )
    for product, quantity, price, name in lines:
        part.lines.append(
            OrderLine(
                product_id=product.id,
                product_name=name,
                unit=product.unit,
                unit_price_amount=price,
                quantity=quantity,
                line_amount=price * quantity,
            )
        )
    order.parts.append(part)
    return part


def create_order_from_quote(quote: Quote, actor: User) -> Order:
    """The approved quote becomes an invoiced order, one part per household.

    Lines are the quote's lines times the box count, at the quoted prices. Goods
    from stock are taken from stock now; made-to-order goods stay held until the
    delivery date. Called in the approval's transaction; a second call finds the order.
    """
    existing = db.session.scalar(select(Order).where(Order.quote_id == quote.id))
    if existing is not None:
        return existing
    by_seller: dict[int, list] = defaultdict(list)
    sellers: dict[int, Seller] = {}
    for line in quote.lines:
        by_seller[line.seller_id].append(line)
        sellers[line.seller_id] = line.seller
    officer = quote.created_by
    end_of_delivery = dt.datetime.combine(
        quote.delivery_date + dt.timedelta(days=1), dt.time(), dt.UTC
    )
    order = Order(
        checkout_key=f"quote-{quote.id}",
        buyer_id=officer.id,
        status=OrderStatus.INVOICED.value,
        contact_name=f"{officer.name} ({quote.institution.unit})"[:120],
        contact_email=officer.email or letterhead()["email"],
        contact_whatsapp=officer.phone or "",
        delivery=Delivery.SHIP.value,
        province=KALTARA,
        city="",
        street=quote.delivery_place[:300],
        items_amount=0,
        shipping_amount=0,
        total_amount=0,
        expires_at=end_of_delivery,
        quote_id=quote.id,
    )
    db.session.add(order)
    stock_products: list[int] = []
    parts: list[tuple[OrderPart, list[Product]]] = []
    for seller_id in sorted(by_seller):
        lines = by_seller[seller_id]
        products = [line.product for line in lines]
        part = _new_part(
            order,
            sellers[seller_id],
            [(ln.product, ln.quantity, ln.unit_price_amount, ln.product_name) for ln in lines],
        )
        # The option chosen goes with each line: its id, its label and its weight.
        for order_line, line in zip(part.lines, lines, strict=True):
            if line.variant_id is not None:
                order_line.variant_id = line.variant_id
                order_line.variant_label = line.variant_label
        part.weight_grams = sum(
            (ln.variant or ln.product).weight_grams * ln.quantity for ln in lines
        )
        parts.append((part, products))
        for line in sorted(lines, key=lambda ln: (ln.product_id, ln.variant_id or 0)):
            _take_stock_for(line.product, line.quantity, line.full_name, quote.id, line.variant_id)
            if not line.product.is_made_to_order:
                stock_products.append(line.product_id)
    shipping = split_evenly(quote.shipping_amount, len(parts))
    for (part, _products), amount in zip(parts, shipping, strict=True):
        part.shipping_amount = amount
    _total(order)
    db.session.flush()
    release_holds(quote.id, stock_products)
    record_event(
        order, None, None, OrderStatus.INVOICED.value, "officer", actor.id, quote.number or ""
    )
    for part, products in parts:
        deadline = confirm_deadline(quote.delivery_date, products)
        db.session.add(GovPart(part_id=part.id, order_id=order.id, confirm_by=deadline))
        record_event(order, part, None, PartStatus.NEW.value, "officer", actor.id)
        _tell_household(order, part, quote, deadline)
    db.session.flush()
    return order


def split_evenly(total: int, count: int) -> list[int]:
    if count == 0:
        return []
    return payouts.split_largest_remainder(total, [1] * count)


def _total(order: Order) -> None:
    live = [p for p in order.parts if p.status != PartStatus.CANCELLED.value]
    order.items_amount = sum(p.items_amount for p in live)
    order.shipping_amount = sum(p.shipping_amount for p in live)
    order.total_amount = order.items_amount + order.shipping_amount


def _tell_household(order: Order, part: OrderPart, quote: Quote, deadline: dt.date) -> None:
    ask_household(order, part, quote, deadline)


# -- reading ------------------------------------------------------------------------------


def get_gov_order_for_officer_or_404(order_id: int, user: User) -> Order:
    """A government order of the officer's institution; anyone else's is not found."""

    member = membership_of(user)
    order = db.session.scalar(
        select(Order)
        .where(Order.id == order_id, Order.quote_id.is_not(None))
        .options(
            selectinload(Order.parts).selectinload(OrderPart.lines),
            selectinload(Order.parts).joinedload(OrderPart.seller),
            selectinload(Order.events),
        )
    )
    if order is None or member is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    quote = db.session.get(Quote, order.quote_id)
    if quote is None or quote.institution_id != member.institution_id:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    return order


def get_gov_part_for_officer_or_404(
    order_id: int, part_id: int, user: User
) -> tuple[Order, OrderPart]:
    """One household's part of a government order of the officer's institution."""
    order = get_gov_order_for_officer_or_404(order_id, user)
    part = next((p for p in order.parts if p.id == part_id), None)
    if part is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    return order, part


def order_of_quote(quote_id: int) -> Order | None:
    return db.session.scalar(select(Order).where(Order.quote_id == quote_id))


@dataclass(frozen=True, slots=True)
class OrderRef:
    """What a page links an order by: its id and number."""

    id: int
    number: str


def order_ref(order_id: int | None) -> OrderRef | None:
    """An order by id and number, from its id (None for none): the quote page reads the id
    with the quote (``quote_page.QUOTE_PAGE``)."""
    return None if order_id is None else OrderRef(order_id, order_number(order_id))


def gov_parts_of(order: Order) -> dict[int, GovPart]:
    rows = db.session.scalars(select(GovPart).where(GovPart.order_id == order.id))
    return {row.part_id: row for row in rows}


def gov_part_of(part: OrderPart) -> GovPart | None:
    return db.session.scalar(select(GovPart).where(GovPart.part_id == part.id))


def received_of(order: Order) -> dict[int, int]:
    """{order line id: quantity received} for what the officer has confirmed."""
    part_ids = [p.id for p in order.parts]
    rows = db.session.scalars(select(ReceivedLine).where(ReceivedLine.part_id.in_(part_ids)))
    return {row.order_line_id: row.quantity_received for row in rows}


# -- the household's answer and progress --------------------------------------------------


def _gov_part_for_seller(part_id: int, seller_id: int) -> tuple[OrderPart, GovPart]:
    part = db.session.scalar(
        select(OrderPart)
        .where(OrderPart.id == part_id, OrderPart.seller_id == seller_id)
        .options(selectinload(OrderPart.lines), joinedload(OrderPart.order))
    )
    gov = gov_part_of(part) if part is not None else None
    if part is None or gov is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    return part, gov


def move_part(
    part: OrderPart, to: PartStatus, actor: User | None, actor_kind: str, note: str = ""
) -> None:
    """One allowed step, guarded in the database; a lost race is refused, never repeated."""
    if not lifecycle_move_part(
        part, to, actor_kind=actor_kind, actor_id=actor.id if actor else None, note=note
    ):
        raise GovOrderError(_l("Status pesanan sudah berubah. Muat ulang halaman."))


def _before_deadline(gov: GovPart) -> None:
    if today_local() > gov.confirm_by:
        raise GovOrderError(
            _l(
                "Batas konfirmasi sudah lewat (%(day)s). Hubungi staf protokol instansi.",
                day=gov.confirm_by.isoformat(),
            )
        )


def confirm_part(part_id: int, seller_id: int, user: User) -> OrderPart:
    """The household will make its part: by the deadline, once."""
    part, gov = _gov_part_for_seller(part_id, seller_id)
    if part.status == PartStatus.ACCEPTED.value and gov.confirmed_at:
        return part
    _before_deadline(gov)
    move_part(part, PartStatus.ACCEPTED, user, "seller", _("dikonfirmasi"))
    gov.confirmed_at = now_utc()
    db.session.flush()
    return part


def _after_cancel(part: OrderPart, gov: GovPart, reason: str = "") -> None:
    """What follows a part's cancellation: when and why, its goods back, the order's totals."""
    gov.declined_at = now_utc()
    if reason:
        gov.decline_reason = reason[:1000]
    _give_back(part)
    _total(part.order)


def decline_part(part_id: int, seller_id: int, user: User, reason: str) -> OrderPart:
    """The household cannot make it: the part is cancelled and the officer is told why."""
    part, gov = _gov_part_for_seller(part_id, seller_id)
    reason = reason.strip()
    if not reason:
        raise GovOrderError(_l("Tulis alasan penolakan."), field="reason")
    _before_deadline(gov)
    move_part(part, PartStatus.CANCELLED, user, "seller", reason)
    _after_cancel(part, gov, reason)
    tell_officer_of_cancel(part, reason, lapsed_on=None)
    db.session.flush()
    return part


def _give_back(part: OrderPart) -> None:
    """A declined part's stock returns and its made-to-order holds end."""
    quote_id = part.order.quote_id
    for line in part.lines:
        product = db.session.get(Product, line.product_id) if line.product_id else None
        if product is None:
            continue
        if product.is_made_to_order:
            release_holds(quote_id, [product.id])
        else:
            give_back_stock(product.id, line.quantity, line.variant_id)


#: what a household marks on its phone, and the status it moves the part to
HOUSEHOLD_STEPS: dict[str, PartStatus] = {
    "produced": PartStatus.PRODUCED,
    "packed": PartStatus.PACKED,
    "delivered": PartStatus.DELIVERED,
}


def mark_progress(part_id: int, seller_id: int, user: User, step: str) -> OrderPart:
    """Made, packed (its surat jalan is issued), delivered at the place of delivery."""

    part, _gov = _gov_part_for_seller(part_id, seller_id)
    to = HOUSEHOLD_STEPS.get(step)
    if to is None:
        raise GovOrderError(_l("Langkah ini tidak dikenal."))
    move_part(part, to, user, "seller")
    if to is PartStatus.PACKED:
        documents.issue_delivery_note(part, user)
    if to is PartStatus.DELIVERED:
        tell_officer_of_delivery(part)
    return part


# -- the officer: replacing a declined household, and what arrived ------------------------


def confirm_receipt(
    order_id: int, part_id: int, user: User, quantities: dict[int, int | None], note: str = ""
) -> OrderPart:
    """The officer counts what arrived from one household, per line; shortfalls are kept."""
    order, part = get_gov_part_for_officer_or_404(order_id, part_id, user)
    gov = gov_part_of(part)
    assert gov is not None
    if gov.received_at is not None:
        raise GovOrderError(_l("Penerimaan bagian ini sudah dicatat."))
    if part.status not in (PartStatus.PACKED.value, PartStatus.DELIVERED.value):
        raise GovOrderError(_l("Bagian ini belum dikirim oleh penjual."))
    for line in part.lines:
        received = quantities.get(line.id)
        if received is None or not 0 <= received <= line.quantity:
            raise GovOrderError(
                _l(
                    "Jumlah diterima untuk %(name)s antara 0 dan %(n)s.",
                    name=line.product_name,
                    n=line.quantity,
                ),
                field="quantities",
            )
    # Claimed first, guarded: of two officers counting at once, one records what arrived.
    if not update_if(GovPart, gov.id, GovPart.received_at.is_(None), received_at=now_utc()):
        raise GovOrderError(_l("Penerimaan bagian ini sudah dicatat."))
    if part.status == PartStatus.PACKED.value:
        move_part(part, PartStatus.DELIVERED, user, "officer", _("diterima staf"))
    for line in part.lines:
        db.session.add(
            ReceivedLine(
                order_line_id=line.id, part_id=part.id, quantity_received=quantities[line.id]
            )
        )
    short = [
        f"{line.product_name}: {line.quantity - quantities[line.id]}"
        for line in part.lines
        if quantities[line.id] < line.quantity
    ]
    gov.received_at = now_utc()
    gov.received_by_id = user.id
    gov.received_note = note.strip()[:1000]
    record_event(
        order,
        part,
        PartStatus.DELIVERED.value,
        "received",
        "officer",
        user.id,
        (_("kurang %(lines)s", lines="; ".join(short)) if short else _("lengkap")),
    )
    db.session.flush()
    return part


# -- the timeline -------------------------------------------------------------------------
