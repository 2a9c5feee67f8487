"""Revenue to households, line by line: THE rule the impact report (and its CSV) counts.

A line counts the value of its goods (unit price × quantity, before the platform's
commission, without shipping) when its order is paid and its part is still being made,
sent or delivered (:data:`PAID_PARTS`):

- on a government order (``Order.quote_id``), what the officer received and the invoice
  billed, not what was ordered: the quantity is the institutions' billing rule, registered
  here by ``institutions.billing`` (:func:`bills_government_lines`), since institutions
  imports pkk and not the other way round;
- on a public order, less the goods part of the refunds recorded for its part: the share
  and commission the ledger's refund events took back (``refund-<id>``), never the
  shipping they gave back. A part's refund is spread over its lines in proportion to their
  value, rounded so that its lines add up to the part exactly.

Everything falls in the local month the order was paid, refunds too whenever they came: a
month's figure is what that month's sales finally earned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import BigInteger, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from marketplace.money.models import Account, LedgerEntry
from marketplace.orders.models import Order, OrderLine, OrderPart, OrderStatus, PartStatus
from marketplace.pkk.periods import add_months, month_index, start_of_day

PAID_PARTS = tuple(
    status.value
    for status in (
        PartStatus.NEW,
        PartStatus.ACCEPTED,
        PartStatus.SHIPPED,
        PartStatus.READY_FOR_PICKUP,
        PartStatus.DELIVERED,
    )
)

_billed_quantity: list[Callable[[], ColumnElement]] = []


def bills_government_lines(quantity: Callable[[], ColumnElement]):
    """Register the SQL quantity of an ``OrderLine`` a government invoice bills."""
    _billed_quantity[:] = [quantity]
    return quantity


def paid_parts(stmt, months: list[dt.date]):
    """Only parts that count as revenue, paid within ``months``."""
    return stmt.where(
        Order.status == OrderStatus.PAID.value,
        OrderPart.status.in_(PAID_PARTS),
        Order.paid_at >= start_of_day(months[0]),
        Order.paid_at < start_of_day(add_months(months[-1], 1)),
    )


def _line_goods() -> ColumnElement:
    if not _billed_quantity:
        raise RuntimeError("institutions.billing has not registered its billed quantity")
    billed = _billed_quantity[0]() * OrderLine.unit_price_amount
    return case((Order.quote_id.is_not(None), billed), else_=OrderLine.line_amount)


def goods_refunded():
    """Per part, the goods part of its recorded refunds: what each refund event gave back
    less the shipping it gave back (the ledger's split, ``money.services``)."""
    return (
        select(
            LedgerEntry.order_part_id.label("part_id"),
            func.sum(LedgerEntry.amount).label("amount"),
        )
        .where(
            LedgerEntry.event_key.startswith("refund-"),
            LedgerEntry.account.in_((Account.REFUNDS.value, Account.SHIPPING.value)),
        )
        .group_by(LedgerEntry.order_part_id)
        .subquery()
    )


def line_revenue(months: list[dt.date], *criteria):
    """One row per counted order line paid within ``months`` (and ``criteria`` on its line,
    part or order): its part, household, product, month index, whether from a government
    order, and its ``amount`` of revenue."""
    stmt = (
        select(
            OrderLine.id.label("line_id"),
            OrderLine.part_id.label("part_id"),
            OrderLine.product_id.label("product_id"),
            OrderPart.seller_id.label("seller_id"),
            month_index(Order.paid_at, months).label("month"),
            Order.quote_id.is_not(None).label("government"),
            _line_goods().label("goods"),
        )
        .select_from(OrderLine)
        .join(OrderPart, OrderPart.id == OrderLine.part_id)
        .join(Order, Order.id == OrderPart.order_id)
    )
    lines = paid_parts(stmt.where(*criteria), months).subquery()
    refunded = goods_refunded()
    # Casts: PostgreSQL sums BIGINT into NUMERIC, whose division is not whole.
    counted = cast(func.sum(lines.c.goods).over(partition_by=lines.c.part_id), BigInteger)
    through = cast(
        func.sum(lines.c.goods).over(partition_by=lines.c.part_id, order_by=lines.c.line_id),
        BigInteger,
    )
    given = cast(func.coalesce(refunded.c.amount, 0), BigInteger)
    spread = (
        select(
            lines,
            counted.label("counted"),
            through.label("through"),
            case((given > counted, counted), else_=given).label("given"),
        )
        .outerjoin(refunded, refunded.c.part_id == lines.c.part_id)
        .subquery()
    )
    # The refund given back up to this line, less up to the line before: whole rupiah
    # that add up to the part's refund exactly.
    share = case(
        (spread.c.counted == 0, 0),
        else_=spread.c.given * spread.c.through / spread.c.counted
        - spread.c.given * (spread.c.through - spread.c.goods) / spread.c.counted,
    )
    return select(
        *(spread.c[name] for name in ("part_id", "product_id", "seller_id", "month")),
        spread.c.government,
        (spread.c.goods - share).label("amount"),
    ).subquery()
