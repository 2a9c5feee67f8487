"""A shipped part counts as delivered N days after shipping unless the buyer's complaint is
open: ``flask orders deliver`` marks it delivered, its money becomes available, and running
it twice changes nothing more."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.jobs import run_pending_jobs
from marketplace.money import services
from marketplace.money.availability import deliver_due_parts
from marketplace.money.models import LedgerEntry, PartComplaint
from marketplace.orders import inbox as order_inbox
from marketplace.orders.models import OrderEvent, PartStatus
from tests import factories


@pytest.fixture
def shipped(clock):
    seller = factories.make_seller()
    order = factories.make_paid_order((factories.make_product(seller=seller, price=80_000), 1))
    part = order.parts[0]
    actor = seller.user_id
    order_inbox.move_part_for_seller(part.id, seller.id, "accept", actor_id=actor)
    order_inbox.move_part_for_seller(
        part.id, seller.id, "ship", actor_id=actor, courier="JNE", tracking_number="JNE9"
    )
    db.session.commit()
    return order, part


def test_a_shipped_part_counts_as_delivered_after_the_set_days(client, clock, shipped):
    order, part = shipped
    pending = services.balances_of(part.seller_id).pending
    assert pending > 0
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Dianggap diterima pada" in page

    clock.move(days=6, hours=23)
    assert deliver_due_parts() == 0
    clock.move(hours=1, minutes=1)
    assert deliver_due_parts() == 1
    db.session.expire_all()
    assert part.status == PartStatus.DELIVERED.value
    balances = services.balances_of(part.seller_id)
    assert (balances.pending, balances.available) == (0, pending)
    event = db.session.scalar(
        select(OrderEvent).where(
            OrderEvent.part_id == part.id, OrderEvent.to_status == PartStatus.DELIVERED.value
        )
    )
    assert event.actor_kind == "system"
    assert deliver_due_parts() == 0
    # The household marking it delivered afterwards is refused and adds nothing.
    with pytest.raises(MarketplaceError):
        order_inbox.move_part_for_seller(
            part.id, part.seller_id, "delivered", actor_id=part.seller.user_id
        )
    assert services.balances_of(part.seller_id).available == pending
    keys = db.session.scalars(
        select(LedgerEntry.event_key).where(LedgerEntry.order_part_id == part.id).distinct()
    ).all()
    assert sorted(keys) == [f"part-{part.id}-delivered", f"part-{part.id}-paid"]
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Sampai di pembeli" in page and "Beri ulasan" in page


def test_the_buyer_is_told_it_counts_as_delivered(clock, shipped, inbox):
    order, _part = shipped
    clock.move(days=8)
    assert deliver_due_parts() == 1
    run_pending_jobs()
    [mail] = [
        m for m in inbox.messages if m["To"] == order.contact_email and "sampai" in m["Subject"]
    ]
    body = mail.get_payload(decode=True).decode()
    assert "batas waktu sejak dikirim sudah lewat" in body


def test_the_setting_sets_the_days_and_the_command_is_safe_twice(app, clock, shipped):
    _order, part = shipped
    runner = app.test_cli_runner()
    app.config["AUTO_DELIVERED_AFTER_DAYS"] = 3
    try:
        clock.move(days=2)
        assert (
            "0 part(s) delivered after 3 days" in runner.invoke(args=["orders", "deliver"]).output
        )
        clock.move(days=1, minutes=1)
        assert "1 part(s) delivered" in runner.invoke(args=["orders", "deliver"]).output
        assert "0 part(s) delivered" in runner.invoke(args=["orders", "deliver"]).output
        # The former command, still in older cron tables, does the same.
        assert "0 part(s) delivered" in runner.invoke(args=["payouts", "release"]).output
    finally:
        app.config.pop("AUTO_DELIVERED_AFTER_DAYS")
    db.session.expire_all()
    assert part.status == PartStatus.DELIVERED.value
    assert services.balances_of(part.seller_id).pending == 0


def test_the_former_setting_still_counts(app, clock, shipped):
    app.config["AVAILABLE_AFTER_DAYS"] = 1
    try:
        clock.move(days=1, minutes=1)
        assert deliver_due_parts() == 1
    finally:
        app.config.pop("AVAILABLE_AFTER_DAYS")


def test_an_open_complaint_holds_the_part_and_its_money(client, clock, shipped, login_as):
    order, part = shipped
    response = client.post(
        f"/pesanan/{order.access_token}/masalah/{part.id}",
        data={"message": "Amplang remuk semua"},
    )
    assert response.status_code == 303
    clock.move(days=30)
    assert deliver_due_parts() == 0
    db.session.expire_all()
    assert part.status == PartStatus.SHIPPED.value
    assert services.balances_of(part.seller_id).available == 0
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Dianggap diterima pada" not in page  # it waits for an admin now

    # Settled by an admin (released): the next run marks it delivered, no money twice.
    complaint = db.session.scalar(select(PartComplaint).where(PartComplaint.part_id == part.id))
    login_as("admin")
    response = client.post(
        f"/admin/keluhan/{complaint.id}", data={"action": "released", "reason": "Isi utuh."}
    )
    assert response.status_code == 303
    db.session.commit()  # the test's own savepoint keeps the request's writes
    available = services.balances_of(part.seller_id).available
    assert available > 0
    assert deliver_due_parts() == 1
    db.session.expire_all()
    assert part.status == PartStatus.DELIVERED.value
    assert services.balances_of(part.seller_id).available == available


def test_a_buyers_complaint_holds_the_money(client, clock, shipped):
    order, part = shipped
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Laporkan masalah" in page
    form_page = client.get(f"/pesanan/{order.access_token}/masalah/{part.id}")
    assert form_page.status_code == 200
    short = client.post(f"/pesanan/{order.access_token}/masalah/{part.id}", data={"message": "x"})
    assert short.status_code == 400
    response = client.post(
        f"/pesanan/{order.access_token}/masalah/{part.id}",
        data={"message": "Amplang remuk semua"},
    )
    assert response.status_code == 303
    complaint = db.session.scalar(select(PartComplaint).where(PartComplaint.part_id == part.id))
    assert complaint.message == "Amplang remuk semua"
    clock.move(days=30)
    assert deliver_due_parts() == 0
    assert services.balances_of(part.seller_id).available == 0


def test_a_problem_is_reported_only_once_shipped(client):
    order = factories.make_paid_order((factories.make_product(), 1))
    part = order.parts[0]
    response = client.post(
        f"/pesanan/{order.access_token}/masalah/{part.id}", data={"message": "Belum datang"}
    )
    assert response.status_code == 400
    assert "Masalah dapat dilaporkan setelah barang dikirim." in response.get_data(as_text=True)
    other = factories.make_paid_order((factories.make_product(), 1))
    wrong = client.post(
        f"/pesanan/{order.access_token}/masalah/{other.parts[0].id}", data={"message": "Aneh"}
    )
    assert wrong.status_code == 404
