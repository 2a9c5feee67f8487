"""A quote's own page, read as its officer sees it: the quote, its lines with what their
capacity check reads of each product, its documents and its history (rows, not objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import NamedTuple

from sqlalchemy import bindparam, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Product
from marketplace.catalog.options import ProductVariant
from marketplace.db import read_rows
from marketplace.institutions.models import (
    Document,
    InstitutionMember,
    Quote,
    QuoteEvent,
    QuoteLine,
)
from marketplace.institutions.quotes import seen_by_office_or_404
from marketplace.orders.models import Order


@dataclass(frozen=True, slots=True)
class PageQuote:
    """A quote as its own page shows and checks it: its columns, and ``Quote``'s own
    properties (one home for those rules), which read nothing else."""

    id: int
    institution_id: int
    created_by_id: int
    number: str | None
    status: str
    event_name: str
    budget_code: str
    rup_code: str
    box_count: int
    card_text: str
    delivery_date: dt.date
    delivery_time: str
    delivery_place: str
    valid_until: dt.date | None
    card_amount: int
    shipping_amount: int
    ppn_amount: int
    total_amount: int
    pph22_amount: int

    net_payable_amount = Quote.net_payable_amount
    is_editable = Quote.is_editable


#: ``PageQuote``'s columns, in its order
_QUOTE_COLUMNS = [getattr(Quote, column.name) for column in fields(PageQuote)]

#: the quote's own page: the quote, the signed-in officer's place (their one membership, as
#: ``members.office_of`` reads it) and the id of the order made from the quote, in one
#: statement of one row (its lines are read as rows, ``page_lines_of``; its history and
#: documents too, ``history_of``, ``documents_of``). Built once.
QUOTE_PAGE = (
    select(
        *_QUOTE_COLUMNS,
        InstitutionMember.institution_id,
        InstitutionMember.can_approve,
        select(Order.id).where(Order.quote_id == Quote.id).scalar_subquery(),
    )
    .outerjoin(InstitutionMember, InstitutionMember.user_id == bindparam("user_id"))
    .where(Quote.id == bindparam("quote_id"))
)


class Office(NamedTuple):
    """The officer's place, as ``members.office_of`` gives it."""

    institution_id: int
    can_approve: bool


def quote_for_officer_or_404(quote_id: int, user) -> tuple[PageQuote, Office, int | None]:
    """The quote, if ``user`` is an officer of its institution (``quotes``' rule), with the
    officer's place and the id of the order made from it (None before there is one);
    otherwise NotFound."""
    row = read_rows(QUOTE_PAGE, {"quote_id": quote_id, "user_id": user.id}).first()
    if row is None:
        seen_by_office_or_404(None, None)
    count = len(_QUOTE_COLUMNS)
    quote = PageQuote(*row[:count])
    institution_id, can_approve, order_id = row[count:]
    office = None if institution_id is None else Office(institution_id, can_approve)
    return seen_by_office_or_404(quote, office), office, order_id


@dataclass(frozen=True, slots=True)
class LineProduct:
    """What a quote page's capacity check reads of a line's product (``boxes.supply_of``,
    ``find_alternatives``): no price, photos or stock-for-sale subqueries."""

    id: int
    seller_id: int
    category_id: int
    stock: int
    is_made_to_order: bool
    daily_capacity: int | None
    lead_time_days: int
    shelf_life_days: int | None


@dataclass(frozen=True, slots=True)
class LineOption:
    """What the capacity check reads of a line's option: its id and stock."""

    id: int
    stock: int


@dataclass(frozen=True, slots=True)
class PageLine:
    """A quote line as its page shows and checks it: the line's columns, its quote (as the
    page reads it, ``PageQuote``), and of its product and option what the capacity check
    reads. Its quantity, amount and name are ``QuoteLine``'s own properties (one home for
    those rules), which read nothing else."""

    quote: PageQuote
    id: int
    product_id: int
    variant_id: int | None
    product_name: str
    variant_label: str
    shop_name: str
    quantity_per_box: int
    unit_price_amount: int
    product: LineProduct
    variant: LineOption | None

    quantity = QuoteLine.quantity
    line_amount = QuoteLine.line_amount
    full_name = QuoteLine.full_name


#: a quote's lines with their products' (and options') capacity columns, in order: built once
_PAGE_LINES = (
    select(
        QuoteLine.id,
        QuoteLine.product_id,
        QuoteLine.variant_id,
        QuoteLine.product_name,
        QuoteLine.variant_label,
        QuoteLine.shop_name,
        QuoteLine.quantity_per_box,
        QuoteLine.unit_price_amount,
        Product.id,
        Product.seller_id,
        Product.category_id,
        Product.stock,
        Product.is_made_to_order,
        Product.daily_capacity,
        Product.lead_time_days,
        Product.shelf_life_days,
        ProductVariant.id,
        ProductVariant.stock,
    )
    .join(Product, Product.id == QuoteLine.product_id)
    .outerjoin(ProductVariant, ProductVariant.id == QuoteLine.variant_id)
    .where(QuoteLine.quote_id == bindparam("quote_id"))
    .order_by(QuoteLine.id)
)


def page_lines_of(quote: PageQuote) -> list[PageLine]:
    """The quote's lines as its page shows and checks them (one statement of rows: loading
    the lines and their products as objects cost about three times as much)."""
    return [
        PageLine(
            quote,
            *row[:8],
            LineProduct(*row[8:16]),
            None if row[16] is None else LineOption(*row[16:]),
        )
        for row in read_rows(_PAGE_LINES, {"quote_id": quote.id})
    ]


#: each move of a quote: when, who (their name; None for the system), from, to and why
_HISTORY = (
    select(
        QuoteEvent.created_at,
        User.name,
        QuoteEvent.from_status,
        QuoteEvent.to_status,
        QuoteEvent.reason,
    )
    .outerjoin(User, User.id == QuoteEvent.actor_id)
    .where(QuoteEvent.quote_id == bindparam("quote_id"))
    .order_by(QuoteEvent.id)
)

#: a quote's documents by kind and number (the PDF itself is read when opened)
_DOCUMENTS = (
    select(Document.id, Document.kind, Document.number)
    .where(Document.quote_id == bindparam("quote_id"))
    .order_by(Document.id)
)


def history_of(quote_id: int) -> list:
    """The quote's moves, oldest first: rows of when, who (a name, or None for the
    system), from, to and why."""
    return read_rows(_HISTORY, {"quote_id": quote_id}).all()


def documents_of(quote_id: int) -> list:
    """The quote's documents, in the order issued: rows of id, kind and number."""
    return read_rows(_DOCUMENTS, {"quote_id": quote_id}).all()
