"""A government order's story for the officer: each step of quote and order, in time order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import User
from marketplace.db import db
from marketplace.institutions.models import Document, Quote
from marketplace.orders.models import (
    Order,
    OrderEvent,
)


@dataclass
class Moment:
    at: dt.datetime
    actor: User | None
    subject: str
    from_status: str | None
    to_status: str
    why: str = ""


def timeline(quote: Quote, order: Order | None) -> list[Moment]:
    """Every move of the quote, the order, its parts and its documents, in time order."""
    moments = [
        Moment(e.created_at, e.actor, quote.number or "", e.from_status, e.to_status, e.reason)
        for e in quote.events
    ]
    mine = Document.quote_id == quote.id
    if order is not None:
        mine = or_(mine, Document.order_id == order.id)
    documents = list(
        db.session.scalars(
            select(Document)
            .where(mine)
            .options(joinedload(Document.issued_by))
            .order_by(Document.id)
        ).unique()
    )
    by_id = {d.id: d for d in documents}
    for doc in documents:
        moments.append(Moment(doc.issued_at, doc.issued_by, doc.number, None, "issued", ""))
        if doc.replaces_id and doc.replaces_id in by_id:
            old = by_id[doc.replaces_id]
            moments.append(
                Moment(
                    doc.issued_at,
                    doc.issued_by,
                    old.number,
                    "issued",
                    "replaced",
                    doc.reason or doc.number,
                )
            )
    if order is not None:
        events = list(
            db.session.scalars(
                select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
            )
        )
        actors = {
            u.id: u
            for u in db.session.scalars(
                select(User).where(User.id.in_([e.actor_id for e in events if e.actor_id]))
            )
        }
        shops = {p.id: p.shop_name for p in order.parts}
        for e in events:
            subject = shops.get(e.part_id, "") if e.part_id else order.number
            moments.append(
                Moment(
                    e.created_at,
                    actors.get(e.actor_id),
                    subject,
                    e.from_status,
                    e.to_status,
                    e.note,
                )
            )
    moments.sort(key=lambda m: m.at)
    return moments
