"""Two offices submitting at once for the same household's goods: never more held than made."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from marketplace.accounts.models import User
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.institutions import members, quotes
from marketplace.institutions.models import DocumentCounter
from marketplace.inventory.models import CapacityHold
from tests import factories
from tests.cleanup import committing_session


@pytest.fixture
def real_sessions(app):
    """Sessions on the app's engine that really commit, one per app context (and thread)."""
    with committing_session():
        yield


def _cleanup(ids: dict, counter_before: int | None) -> None:
    quotes = ",".join(map(str, ids["quotes"])) or "0"
    statements = [
        f"DELETE FROM documents WHERE quote_id IN ({quotes})",  # noqa: S608 - ids are ints
        f"DELETE FROM capacity_holds WHERE quote_id IN ({quotes})",  # noqa: S608
        f"DELETE FROM quote_events WHERE quote_id IN ({quotes})",  # noqa: S608
        f"DELETE FROM quote_lines WHERE quote_id IN ({quotes})",  # noqa: S608
        f"DELETE FROM quotes WHERE id IN ({quotes})",  # noqa: S608
    ]
    users = ",".join(map(str, ids["users"]))
    institutions = ",".join(map(str, ids["institutions"]))
    statements += [
        f"DELETE FROM institution_members WHERE user_id IN ({users})",  # noqa: S608
        f"DELETE FROM institutions WHERE id IN ({institutions})",  # noqa: S608
        f"DELETE FROM product_photos WHERE product_id = {ids['product']}",  # noqa: S608
        f"DELETE FROM products WHERE id = {ids['product']}",  # noqa: S608
        f"DELETE FROM sellers WHERE id = {ids['seller']}",  # noqa: S608
        f"DELETE FROM role_grants WHERE user_id IN ({users})",  # noqa: S608
        f"DELETE FROM users WHERE id IN ({users})",  # noqa: S608
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
        year = today_local().year
        if counter_before is None:
            connection.execute(
                text("DELETE FROM document_counters WHERE kind = 'quotation' AND year = :y"),
                {"y": year},
            )
        else:
            connection.execute(
                text(
                    "UPDATE document_counters SET last_number = :n "
                    "WHERE kind = 'quotation' AND year = :y"
                ),
                {"n": counter_before, "y": year},
            )


def test_two_offices_submitting_at_once_never_overbook(app, real_sessions):
    ids: dict = {"quotes": [], "users": [], "institutions": []}
    with app.app_context():
        counter_before = db.session.scalar(
            select(DocumentCounter.last_number).where(
                DocumentCounter.kind == "quotation", DocumentCounter.year == today_local().year
            )
        )
        product = factories.make_product(stock=30, price=35000)
        ids["product"], ids["seller"] = product.id, product.seller_id
        ids["users"].append(product.seller.user_id)
        for _ in range(2):
            officer = factories.make_officer()
            quote = factories.make_quote(officer, [product], boxes=20)
            ids["quotes"].append(quote.id)
            ids["users"].append(officer.id)
            ids["institutions"].append(quote.institution_id)
        db.session.commit()
        officers = list(zip(ids["quotes"], ids["users"][1:], strict=True))
    db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(quote_id: int, user_id: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait()
                quotes.submit_quote(quote_id, user)
                db.session.commit()
                outcomes.append("submitted")
            except members.InstitutionError:
                db.session.rollback()
                outcomes.append("refused")
            except OperationalError:
                # SQLite cannot upgrade a reader whose snapshot went stale: the request
                # fails (503, try again) and writes nothing.
                db.session.rollback()
                outcomes.append("busy")
            finally:
                db.session.remove()

    try:
        workers = [threading.Thread(target=submit, args=pair) for pair in officers]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert sorted(outcomes) in (["refused", "submitted"], ["busy", "submitted"])
        if db.engine.dialect.name == "postgresql":
            assert "refused" in outcomes  # the second waited for the first, then saw its hold
        with app.app_context():
            held = db.session.scalar(
                select(func.sum(CapacityHold.quantity)).where(
                    CapacityHold.product_id == ids["product"],
                    CapacityHold.released_at.is_(None),
                    CapacityHold.expires_at > now_utc(),
                )
            )
            assert held == 20
    finally:
        with app.app_context():
            _cleanup(ids, counter_before)
