"""A part its household does not confirm in time, or declines: it lapses, and the officer
chooses another household's product to replace it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Seller
from marketplace.catalog.services import today_local
from marketplace.db import db, lock_row, now_utc
from marketplace.institutions import billing, documents
from marketplace.institutions.boxes import find_alternatives, place_line_hold
from marketplace.institutions.messages import (
    end_of_local_day,
    remind_household,
    tell_officer_of_cancel,
)
from marketplace.institutions.models import GovPart, Quote
from marketplace.institutions.orders import (
    GovOrderError,
    _after_cancel,
    _new_part,
    _take_stock_for,
    _tell_household,
    _total,
    confirm_deadline,
    get_gov_part_for_officer_or_404,
    gov_part_of,
    move_part,
)
from marketplace.inventory.stock import lock_products
from marketplace.notify.services import NEAR_DEADLINE
from marketplace.orders import notes
from marketplace.orders.lifecycle import move_part as lifecycle_move_part
from marketplace.orders.lifecycle import record_event
from marketplace.orders.models import (
    Order,
    OrderLine,
    OrderPart,
    PartStatus,
)


@dataclass
class Replacement:
    line: OrderLine
    product: Product | None
    options: list[Product]


def replacement_options(order: Order, part: OrderPart) -> list[Replacement]:
    """For each line of a declined part, the builder's proposals that still fit."""

    quote = db.session.get(Quote, order.quote_id)
    taken = {p.seller_id for p in order.parts if p.status != PartStatus.CANCELLED.value}
    found = []
    for line in part.lines:
        product = db.session.get(Product, line.product_id) if line.product_id else None
        options = []
        if product is not None and quote is not None:
            options = [
                alt
                for alt in find_alternatives(product, line.quantity, quote.delivery_date, limit=5)
                if alt.seller_id not in taken
            ]
        found.append(Replacement(line, product, options))
    return found


def is_unanswered(part: OrderPart, gov: GovPart) -> bool:
    """A household that let its deadline pass without an answer."""
    return part.status == PartStatus.NEW.value and today_local() > gov.confirm_by


def replaceable(part: OrderPart, gov: GovPart | None) -> bool:
    if gov is None or gov.replaced_by_part_id:
        return False
    return part.status == PartStatus.CANCELLED.value or is_unanswered(part, gov)


#: why a part lapsed: its household did not answer by its deadline
LAPSE_REASON = notes.LAPSED


def lapse_unconfirmed() -> int:
    """Parts never confirmed by their deadline are declined, once; returns how many.

    Each moves ``new`` → ``cancelled`` by a guarded UPDATE: of two runs (or a run and the
    officer replacing the part by hand) one moves it, and only that one gives the goods
    back and mails the officer. A cron line runs it (``flask institutions
    lapse-unconfirmed``).
    """
    rows = db.session.execute(
        select(OrderPart.id, GovPart.id)
        .join(GovPart, GovPart.part_id == OrderPart.id)
        .where(
            OrderPart.status == PartStatus.NEW.value,
            GovPart.confirm_by < today_local(),
            GovPart.replaced_by_part_id.is_(None),
        )
        .order_by(OrderPart.id)
    ).all()
    lapsed = 0
    for part_id, gov_id in rows:
        part = db.session.get(OrderPart, part_id)
        gov = db.session.get(GovPart, gov_id)
        assert part is not None and gov is not None
        if part.status != PartStatus.NEW.value or not lifecycle_move_part(
            part, PartStatus.CANCELLED, actor_kind="system", note=LAPSE_REASON
        ):
            continue
        _after_cancel(part, gov, LAPSE_REASON)
        tell_officer_of_cancel(part, LAPSE_REASON, lapsed_on=gov.confirm_by)
        lapsed += 1
    db.session.flush()
    return lapsed


def remind_unconfirmed() -> int:
    """Remind, once, each household whose part is still unanswered on its deadline day, from
    midday: the deadline is then less than 12 hours away, so the reminder goes at once, even
    in quiet hours. Returns how many were reminded (``flask institutions
    lapse-unconfirmed``, hourly)."""
    now = now_utc()
    rows = db.session.execute(
        select(OrderPart, GovPart)
        .join(GovPart, GovPart.part_id == OrderPart.id)
        .where(
            OrderPart.status == PartStatus.NEW.value,
            GovPart.confirm_by == today_local(),
            GovPart.replaced_by_part_id.is_(None),
        )
        .order_by(OrderPart.id)
    ).all()
    due = [
        (part, gov) for part, gov in rows if end_of_local_day(gov.confirm_by) - now < NEAR_DEADLINE
    ]
    for part, gov in due:
        remind_household(part, gov.confirm_by)
    return len(due)


def replace_part(
    order_id: int, part_id: int, user: User, choices: dict[int, int | None]
) -> OrderPart:
    """Give a declined part's lines to other households' products ({line id: product id}),
    once: of two replacements at once (a double tap, two officers), the second waits on the
    part's row and is told it was replaced."""

    order, part = get_gov_part_for_officer_or_404(order_id, part_id, user)
    gov = gov_part_of(part)
    if gov is not None:
        lock_row(GovPart, gov.id)
        db.session.refresh(gov)  # as the first replacement left it
        if gov.replaced_by_part_id:
            raise GovOrderError(_l("Bagian ini sudah diganti."))
        db.session.refresh(part)
    if gov is not None and is_unanswered(part, gov):
        # Silence past the deadline counts as a decline: the goods go to someone else.
        move_part(part, PartStatus.CANCELLED, user, "officer", _("tidak dijawab sampai batas"))
        _after_cancel(part, gov)  # no reason of the household's: the page says it was silent
    if part.status != PartStatus.CANCELLED.value or gov is None or gov.replaced_by_part_id:
        raise GovOrderError(_l("Hanya bagian yang ditolak penjual yang dapat diganti."))
    allowed = {r.line.id: {o.id: o for o in r.options} for r in replacement_options(order, part)}
    picked: dict[int, list[tuple[Product, int, int, str]]] = defaultdict(list)
    for line in part.lines:
        product = allowed.get(line.id, {}).get(choices.get(line.id, 0))
        if product is None:
            raise GovOrderError(
                _l("Pilih pengganti untuk %(name)s.", name=line.full_name), field="lines"
            )
        picked[product.seller_id].append((product, line.quantity, product.price_now, product.name))
    if len(picked) != 1:
        raise GovOrderError(
            _l("Pilih pengganti dari satu rumah tangga untuk satu bagian."), field="lines"
        )
    quote = db.session.get(Quote, order.quote_id)
    assert quote is not None
    ((seller_id, lines),) = picked.items()
    lock_products([p.id for p, *_r in lines])
    seller = db.session.get(Seller, seller_id)
    new = _new_part(order, seller, lines)
    new.shipping_amount = part.shipping_amount
    db.session.flush()
    for product, quantity, _price, name in lines:
        _take_stock_for(product, quantity, name, quote.id)
        if product.is_made_to_order:
            place_line_hold(quote, product, quantity)
    _total(order)
    products = [p for p, *_r in lines]
    deadline = confirm_deadline(quote.delivery_date, products)
    db.session.add(GovPart(part_id=new.id, order_id=order.id, confirm_by=deadline))
    gov.replaced_by_part_id = new.id
    record_event(
        order,
        new,
        None,
        PartStatus.NEW.value,
        "officer",
        user.id,
        _("pengganti %(shop)s", shop=part.shop_name),
    )
    _tell_household(order, new, quote, deadline)
    db.session.flush()
    _revise_order_letter(order, quote, part, gov, new, user)
    return new


def _revise_order_letter(
    order: Order, quote: Quote, old: OrderPart, gov: GovPart, new: OrderPart, user: User
) -> None:
    """The institution's Surat Pesanan follows the goods: a revision names the household
    that left, why, and the one that took its lines over."""
    with force_locale("id"):
        why = gov.decline_reason or LAPSE_REASON
        reason = _(
            "%(old)s (%(why)s) digantikan oleh %(new)s untuk %(items)s.",
            old=old.shop_name,
            why=why,
            new=new.shop_name,
            items=", ".join(f"{line.quantity} x {line.full_name}" for line in new.lines),
        )
    documents.issue_revised_order_letter(
        quote, user, order=order, bill=billing.bill_of(order, quote, as_ordered=True), reason=reason
    )
