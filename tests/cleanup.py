"""Cleaning up after tests whose servers commit for real (browser journeys, several processes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, select, update

from marketplace.catalog.models import Product, Seller
from marketplace.db import db
from marketplace.money import ledger_sums
from marketplace.money.models import LedgerEntry, Payment, Refund
from marketplace.notify.models import Notification
from marketplace.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderPart,
    OrderStatus,
    PartStatus,
)
from marketplace.pagecache import bump_catalog_version
from marketplace.payments.models import WebhookEvent
from marketplace.reviews.models import Review


@contextmanager
def committing_session(cleanup: Callable[[], object] | None = None) -> Iterator[Any]:
    """Swap the test's rolled-back session for one that really commits (a test whose
    threads or servers must see its rows); afterwards ``cleanup()`` runs in it and commits,
    and the test's session comes back."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        yield db.session
    finally:
        db.session.rollback()
        if cleanup is not None:
            cleanup()
            db.session.commit()
        db.session.remove()
        db.session = test_session


def forget_ledger_entries(session, *where) -> None:
    """Delete the ledger entries a committing test wrote, and make the running sums kept
    with them (``money.ledger_sums``) agree again: the test database's teardown only, the
    application itself never deletes ledger rows."""
    session.execute(delete(LedgerEntry).where(*where))
    ledger_sums.rebuild(session.connection())


def purge_orders_of(email: str, *, name: str | None = None) -> None:
    """Delete the orders a journey made for ``email`` (or, for a guest who gave only a
    WhatsApp number, in the contact ``name``), giving back the stock they held.

    For tests whose servers commit for real; runs in a session of its own.
    """
    session = db._make_scoped_session({})
    try:
        _purge(
            session, Order.contact_email == email if name is None else Order.contact_name == name
        )
        session.commit()
    finally:
        session.remove()


def purge_accounts_at(domain: str) -> None:
    """Delete the accounts a test signed up with e-mails ``…@domain``, their roles and mails."""
    from marketplace.accounts.models import RoleGrant, User
    from marketplace.mail import OutgoingMail

    session = db._make_scoped_session({})
    try:
        users = select(User.id).where(User.email.like(f"%@{domain}"))
        session.execute(delete(RoleGrant).where(RoleGrant.user_id.in_(users)))
        session.execute(delete(OutgoingMail).where(OutgoingMail.to.like(f"%@{domain}")))
        session.execute(delete(User).where(User.email.like(f"%@{domain}")))
        session.commit()
    finally:
        session.remove()


def _purge(session, whose) -> None:
    orders = list(session.scalars(select(Order).where(whose)))
    for order in orders:
        if order.status in (OrderStatus.AWAITING_PAYMENT.value, OrderStatus.PAID.value):
            for part in order.parts:
                if part.status == PartStatus.CANCELLED.value:
                    continue  # its stock went back when it was cancelled
                for line in part.lines:
                    session.execute(
                        update(Product)
                        .where(Product.id == line.product_id)
                        .values(stock=Product.stock + line.quantity)
                    )
    ids = [order.id for order in orders]
    intents = select(Payment.intent_id).where(Payment.order_id.in_(ids))
    _purge_reviews(session, ids)
    payments = select(Payment.id).where(Payment.order_id.in_(ids))
    session.execute(delete(Refund).where(Refund.payment_id.in_(payments)))
    session.execute(delete(OrderEvent).where(OrderEvent.order_id.in_(ids)))
    parts = select(OrderPart.id).where(OrderPart.order_id.in_(ids))
    session.execute(delete(OrderLine).where(OrderLine.part_id.in_(parts)))
    fees = [f"payment-{payment_id}-fee" for payment_id in session.scalars(payments)]
    forget_ledger_entries(
        session, LedgerEntry.order_part_id.in_(parts) | LedgerEntry.event_key.in_(fees)
    )
    session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.event_type.like("payment_%")
            | WebhookEvent.event_type.like("checkout.%")
            | WebhookEvent.event_type.like("refund.%")
            | WebhookEvent.event_type.like("midtrans.%")
        )
    )
    session.execute(delete(Payment).where(Payment.intent_id.in_(intents)))
    purge_messages_about(session, orders)
    session.execute(delete(OrderPart).where(OrderPart.order_id.in_(ids)))
    session.execute(delete(Order).where(Order.id.in_(ids)))


def purge_messages_about(session, orders: list[Order]) -> None:
    """Delete the messages about ``orders`` (their ids come back once the rows are gone, and
    a message is recorded once per kind, order and person)."""
    pages = [f"/pesanan/{order.access_token}" for order in orders] + [
        f"/penjual/pesanan/{part.id}" for order in orders for part in order.parts
    ]
    session.execute(delete(Notification).where(Notification.url.in_(pages)))


def _purge_reviews(session, order_ids: list[int]) -> None:
    """Delete the orders' reviews, taking their stars back off products and shops."""
    reviews = list(session.scalars(select(Review).where(Review.order_id.in_(order_ids))))
    for review in reviews:
        if review.hidden_at is not None:
            continue
        for model, key in ((Product, review.product_id), (Seller, review.seller_id)):
            session.execute(
                update(model)
                .where(model.id == key)
                .values(
                    rating_sum=model.rating_sum - review.rating,
                    rating_count=model.rating_count - 1,
                )
            )
    session.execute(delete(Review).where(Review.order_id.in_(order_ids)))
    if reviews:
        bump_catalog_version(session)
