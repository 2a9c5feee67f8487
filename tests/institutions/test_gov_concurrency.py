"""Two households packing at once: their delivery notes, issued in parallel transactions
that really commit, never share a number (run it on PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import threading

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from marketplace.accounts.models import User
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import orders as gov
from marketplace.institutions.models import Document, DocumentKind
from marketplace.orders.models import OrderPart
from tests import factories
from tests.institutions.test_concurrency import real_sessions  # noqa: F401 - a fixture

TABLES_BY_ORDER = [
    "DELETE FROM documents WHERE order_id = :order OR quote_id = :quote",
    "DELETE FROM gov_parts WHERE order_id = :order",
    "DELETE FROM order_events WHERE order_id = :order",
    "DELETE FROM order_lines WHERE part_id IN (SELECT id FROM order_parts WHERE order_id = :order)",
    "DELETE FROM order_parts WHERE order_id = :order",
    "DELETE FROM orders WHERE id = :order",
    "DELETE FROM capacity_holds WHERE quote_id = :quote",
    "DELETE FROM quote_events WHERE quote_id = :quote",
    "DELETE FROM quote_lines WHERE quote_id = :quote",
    "DELETE FROM quotes WHERE id = :quote",
]


def _cleanup(ids: dict) -> None:
    with db.engine.begin() as connection:
        for statement in TABLES_BY_ORDER:
            connection.execute(text(statement), {"order": ids["order"], "quote": ids["quote"]})
        for product in ids["products"]:
            connection.execute(
                text("DELETE FROM product_photos WHERE product_id = :p"), {"p": product}
            )
            connection.execute(text("DELETE FROM products WHERE id = :p"), {"p": product})
        for seller in ids["sellers"]:
            connection.execute(text("DELETE FROM sellers WHERE id = :s"), {"s": seller})
        connection.execute(
            text("DELETE FROM institution_members WHERE institution_id = :i"),
            {"i": ids["institution"]},
        )
        connection.execute(
            text("DELETE FROM institutions WHERE id = :i"), {"i": ids["institution"]}
        )
        for user in ids["users"]:
            connection.execute(text("DELETE FROM role_grants WHERE user_id = :u"), {"u": user})
            connection.execute(text("DELETE FROM users WHERE id = :u"), {"u": user})


def test_delivery_notes_issued_at_once_never_share_a_number(app, real_sessions):  # noqa: F811
    with app.app_context():
        products = [factories.make_product(stock=50, price=30000) for _ in range(2)]
        order, quote, officer, head = factories.make_gov_order(products=products, boxes=2)
        for part in order.parts:
            owner = part.seller.user
            gov.confirm_part(part.id, part.seller_id, owner)
            gov.mark_progress(part.id, part.seller_id, owner, "produced")
        ids = {
            "order": order.id,
            "quote": quote.id,
            "institution": quote.institution_id,
            "products": [p.id for p in products],
            "sellers": [p.seller_id for p in products],
            "users": [officer.id, head.id, *[p.seller.user_id for p in products]],
            "parts": [(p.id, p.seller_id, p.seller.user_id) for p in order.parts],
        }
        db.session.commit()
        db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def pack(part_id: int, seller_id: int, user_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                gov.mark_progress(part_id, seller_id, db.session.get(User, user_id), "packed")
                db.session.commit()
                outcomes.append("packed")
            except OperationalError:
                # SQLite lets one writer at a time; the other is told to try again.
                db.session.rollback()
                outcomes.append("busy")
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    try:
        workers = [threading.Thread(target=pack, args=part) for part in ids["parts"]]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert errors == []
        with app.app_context():
            notes = list(
                db.session.scalars(
                    select(Document).where(
                        Document.order_id == ids["order"],
                        Document.kind == DocumentKind.DELIVERY_NOTE.value,
                    )
                )
            )
            assert len(notes) == outcomes.count("packed")
            numbers = [note.number for note in notes]
            assert len(set(numbers)) == len(numbers)
            assert all(n.startswith(f"SJ/{today_local().year}/") for n in numbers)
            if db.engine.dialect.name == "postgresql":
                # Row locks make the second wait for the first: both are issued.
                assert outcomes == ["packed", "packed"]
                packed = db.session.scalars(
                    select(OrderPart.status).where(OrderPart.order_id == ids["order"])
                )
                assert set(packed) == {"packed"}
    finally:
        with app.app_context():
            _cleanup(ids)
