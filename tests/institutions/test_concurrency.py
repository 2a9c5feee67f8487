"""Double taps and simultaneous officers: each quote moves once, every request gets an answer
(never "try again in a minute"), and no document number is given twice. On SQLite and, with
TEST_DATABASE_URL, on PostgreSQL; the requests really commit (``tests/racing.py``)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc, unit_of_work
from marketplace.institutions import members
from marketplace.institutions.documents import allocate_number
from marketplace.institutions.models import (
    Document,
    DocumentCounter,
    DocumentKind,
    Quote,
    QuoteEvent,
)
from marketplace.institutions.orders import order_of_quote
from marketplace.inventory.models import CapacityHold
from marketplace.orders.models import Order
from tests import factories
from tests.racing import race


def last_number(kind: DocumentKind, year: int | None = None) -> int:
    return (
        db.session.scalar(
            select(DocumentCounter.last_number).where(
                DocumentCounter.kind == kind.value,
                DocumentCounter.year == (year or today_local().year),
            )
        )
        or 0
    )


def moves_to(quote_id: int, status: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(QuoteEvent)
        .where(QuoteEvent.quote_id == quote_id, QuoteEvent.to_status == status)
    )


def documents_of(quote_id: int, kind: DocumentKind) -> list[str]:
    return list(
        db.session.scalars(
            select(Document.number).where(Document.quote_id == quote_id, Document.kind == kind)
        )
    )


def live_holds(quote_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(CapacityHold.quantity).where(
                CapacityHold.quote_id == quote_id,
                CapacityHold.released_at.is_(None),
                CapacityHold.expires_at > now_utc(),
            )
        )
    )


def submit(quote_id: int) -> str:
    return f"/instansi/penawaran/{quote_id}/ajukan"


def approve(quote_id: int) -> str:
    return f"/instansi/penawaran/{quote_id}/setujui"


def test_the_same_quote_submitted_three_times_at_once_is_submitted_once(app, real_commits):
    officer = factories.make_officer()
    quote = factories.make_quote(officer)
    db.session.commit()
    numbers_before = last_number(DocumentKind.QUOTATION)

    answers = race(app, *[(officer, submit(quote.id), {})] * 3)

    assert sorted(answer.status for answer in answers) == [302, 409, 409]
    for answer in answers:
        if answer.status == 409:
            assert "Penawaran ini sudah diajukan dan menunggu persetujuan." in answer.body
    quote = db.session.get(Quote, quote.id)
    assert quote.status == "submitted" and moves_to(quote.id, "submitted") == 1
    # One number, one quotation, one hold per line: nothing of the losers is kept.
    assert last_number(DocumentKind.QUOTATION) == numbers_before + 1
    assert documents_of(quote.id, DocumentKind.QUOTATION) == [quote.number]
    assert live_holds(quote.id) == [line.quantity for line in quote.lines]


def test_two_officers_submitting_two_quotes_at_once_both_succeed(app, real_commits):
    products = [factories.make_product(stock=200, price=35000) for _ in range(2)]
    officers = [factories.make_officer() for _ in range(2)]
    quotes = [factories.make_quote(officer, products) for officer in officers]
    db.session.commit()
    numbers_before = last_number(DocumentKind.QUOTATION)

    answers = race(app, *[(o, submit(q.id), {}) for o, q in zip(officers, quotes, strict=True)])

    assert [answer.status for answer in answers] == [302, 302]
    numbers = {db.session.get(Quote, quote.id).number for quote in quotes}
    year = today_local().year
    assert numbers == {f"PNW/{year}/{n:04d}" for n in (numbers_before + 1, numbers_before + 2)}


def test_two_offices_submitting_at_once_for_one_households_goods_never_overbook(
    app,
    real_commits,
):
    product = factories.make_product(stock=30, price=35000)
    officers = [factories.make_officer() for _ in range(2)]
    quotes = [factories.make_quote(officer, [product], boxes=20) for officer in officers]
    db.session.commit()

    answers = race(app, *[(o, submit(q.id), {}) for o, q in zip(officers, quotes, strict=True)])

    # The second waited for the first, then saw its hold: 20 of 30 leaves 10, not 20.
    assert sorted(answer.status for answer in answers) == [302, 400]
    refused = next(answer for answer in answers if answer.status == 400)
    assert "tidak bisa disiapkan tepat waktu (tersedia 10 dari 20)" in refused.body
    assert sum(live_holds(quotes[0].id) + live_holds(quotes[1].id)) == 20


def _office_with_a_submitted_quote(products=None):
    officer = factories.make_officer()
    head = factories.make_officer(members.membership_of(officer).institution, can_approve=True)
    quote = factories.make_quote(officer, products)
    db.session.commit()
    return quote, officer, head


def test_the_same_quote_approved_twice_at_once_becomes_one_order(app, real_commits):
    quote, officer, head = _office_with_a_submitted_quote()
    assert race(app, (officer, submit(quote.id), {}))[0].status == 302
    letters_before = last_number(DocumentKind.ORDER_LETTER)

    answers = race(app, (head, approve(quote.id), {}), (head, approve(quote.id), {}))

    assert sorted(answer.status for answer in answers) == [302, 409]
    told = next(answer for answer in answers if answer.status == 409)
    assert "Penawaran ini sudah disetujui dan menjadi pesanan." in told.body
    assert moves_to(quote.id, "approved") == 1 and moves_to(quote.id, "ordered") == 1
    orders = db.session.scalar(
        select(func.count()).select_from(Order).where(Order.quote_id == quote.id)
    )
    assert orders == 1
    assert last_number(DocumentKind.ORDER_LETTER) == letters_before + 1
    assert len(documents_of(quote.id, DocumentKind.ORDER_LETTER)) == 1


def test_two_heads_approving_two_quotes_at_once_both_succeed(app, real_commits):
    products = [factories.make_product(stock=200, price=35000) for _ in range(2)]
    offices = [_office_with_a_submitted_quote(products) for _ in range(2)]
    for quote, officer, _head in offices:
        assert race(app, (officer, submit(quote.id), {}))[0].status == 302
    letters_before = last_number(DocumentKind.ORDER_LETTER)

    answers = race(app, *[(head, approve(quote.id), {}) for quote, _officer, head in offices])

    assert [answer.status for answer in answers] == [302, 302]
    letters = {documents_of(quote.id, DocumentKind.ORDER_LETTER)[0] for quote, *_ in offices}
    year = today_local().year
    assert letters == {f"SP/{year}/{n:04d}" for n in (letters_before + 1, letters_before + 2)}
    assert all(order_of_quote(quote.id) is not None for quote, *_ in offices)


@pytest.mark.parametrize("kind", list(DocumentKind))
@pytest.mark.parametrize("year_offset", [0, 40], ids=["counted-year", "first-of-its-year"])
def test_numbers_of_every_kind_allocated_at_once_are_never_the_same(
    app,
    real_commits,
    kind,
    year_offset,
):
    """The one allocator of every document number (penawaran, surat pesanan, surat jalan,
    BAST, tagihan, kwitansi), in four units of work at once, each as a request runs it."""
    year = today_local().year + year_offset
    before = last_number(kind, year)
    db.session.commit()
    barrier = threading.Barrier(4)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def allocate() -> None:
        with app.app_context():
            try:
                barrier.wait()
                with unit_of_work():
                    number = allocate_number(kind.value, year)
                    db.session.commit()
                numbers.append(number)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=allocate) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(numbers) == [before + 1, before + 2, before + 3, before + 4]
    db.session.rollback()
    assert last_number(kind, year) == before + 4
