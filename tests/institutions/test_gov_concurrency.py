"""A government order's moves at the same moment: households packing, officers counting what
arrived and pressing "BAST". Each move happens once, the second press is told so, and the
documents issued in parallel never share a number (SQLite, and PostgreSQL with
TEST_DATABASE_URL; the requests really commit, see ``tests/racing.py``)."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import orders as gov
from marketplace.institutions.models import Document, DocumentKind, ReceivedLine
from marketplace.orders.models import OrderEvent, OrderPart
from tests import factories
from tests.racing import race


def numbers(order_id: int, kind: DocumentKind) -> list[str]:
    return list(
        db.session.scalars(
            select(Document.number).where(Document.order_id == order_id, Document.kind == kind)
        )
    )


def events(part_id: int, to_status: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.part_id == part_id, OrderEvent.to_status == to_status)
    )


def produced_order(households: int = 2):
    """A government order whose households have each confirmed and made their part."""
    products = [factories.make_product(stock=50, price=30000) for _ in range(households)]
    order, _quote, officer, _head = factories.make_gov_order(products=products, boxes=2)
    for part in order.parts:
        gov.confirm_part(part.id, part.seller_id, part.seller.user)
        gov.mark_progress(part.id, part.seller_id, part.seller.user, "produced")
    db.session.commit()
    return order, officer


def pack(part: OrderPart) -> tuple:
    return (part.seller.user, f"/instansi/penjual/bagian/{part.id}", {"action": "packed"})


def test_two_households_packing_at_once_get_two_delivery_notes(app, real_commits):
    order, _officer = produced_order()

    answers = race(app, *[pack(part) for part in order.parts])

    assert [answer.status for answer in answers] == [303, 303]
    assert all(
        ("success", "Ditandai sudah dikemas; surat jalan terbit.") in a.flashes for a in answers
    )
    notes = numbers(order.id, DocumentKind.DELIVERY_NOTE)
    assert len(notes) == 2 and len(set(notes)) == 2
    assert all(note.startswith(f"SJ/{today_local().year}/") for note in notes)


def test_one_household_packing_twice_at_once_gets_one_delivery_note(app, real_commits):
    order, _officer = produced_order(households=1)
    (part,) = order.parts

    answers = race(app, pack(part), pack(part))

    flashes = sorted(answer.flashes for answer in answers)
    assert flashes == [
        (("error", "Status pesanan sudah berubah. Muat ulang halaman."),),
        (("success", "Ditandai sudah dikemas; surat jalan terbit."),),
    ]
    assert len(numbers(order.id, DocumentKind.DELIVERY_NOTE)) == 1
    assert events(part.id, "packed") == 1


def delivered_order(households: int = 1):
    order, officer = produced_order(households)
    for part in order.parts:
        for step in ("packed", "delivered"):
            gov.mark_progress(part.id, part.seller_id, part.seller.user, step)
    db.session.commit()
    return order, officer


def receive(officer, order, part) -> tuple:
    counts = {f"received-{line.id}": str(line.quantity) for line in part.lines}
    return (officer, f"/instansi/pesanan/{order.id}/bagian/{part.id}/terima", counts)


def test_what_arrived_counted_twice_at_once_is_recorded_once(app, real_commits):
    order, officer = delivered_order()
    (part,) = order.parts

    answers = race(app, receive(officer, order, part), receive(officer, order, part))

    assert sorted(answer.status for answer in answers) == [303, 409]
    told = next(answer for answer in answers if answer.status == 409)
    assert "Penerimaan bagian ini sudah dicatat." in told.body
    received = db.session.scalar(
        select(func.count()).select_from(ReceivedLine).where(ReceivedLine.part_id == part.id)
    )
    assert received == len(part.lines) and events(part.id, "received") == 1


def received_order():
    order, officer = delivered_order()
    for part in order.parts:
        counts = {line.id: line.quantity for line in part.lines}
        gov.confirm_receipt(order.id, part.id, officer, counts)
    db.session.commit()
    return order, officer


HANDOVER_KINDS = (DocumentKind.HANDOVER, DocumentKind.INVOICE, DocumentKind.RECEIPT)


def test_bast_pressed_twice_at_once_is_issued_once(app, real_commits):
    order, officer = received_order()
    press = (officer, f"/instansi/pesanan/{order.id}/bast", {})

    answers = race(app, press, press)

    assert sorted(answer.status for answer in answers) == [303, 409]
    told = next(answer for answer in answers if answer.status == 409)
    assert "BAST, tagihan dan kwitansi pesanan ini sudah terbit." in told.body
    assert [len(numbers(order.id, kind)) for kind in HANDOVER_KINDS] == [1, 1, 1]


def test_two_offices_pressing_bast_at_once_get_their_own_numbers(app, real_commits):
    offices = [received_order() for _ in range(2)]

    answers = race(
        app, *[(officer, f"/instansi/pesanan/{o.id}/bast", {}) for o, officer in offices]
    )

    assert [answer.status for answer in answers] == [303, 303]
    year = today_local().year
    for kind, prefix in zip(HANDOVER_KINDS, ("BAST", "INV", "KW"), strict=True):
        issued = [number for order, _ in offices for number in numbers(order.id, kind)]
        assert len(issued) == 2 and len(set(issued)) == 2
        assert all(number.startswith(f"{prefix}/{year}/") for number in issued)
