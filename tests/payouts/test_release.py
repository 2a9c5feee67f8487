"""A shipped part's money becomes available N days after shipment, unless the buyer
reported a problem; ``flask payouts release`` does it and is safe to run twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.db import db, now_utc
from marketplace.money import services
from marketplace.money.availability import release_due_parts
from marketplace.money.models import LedgerEntry, PartComplaint
from marketplace.orders import inbox as order_inbox
from tests import factories


@pytest.fixture
def shipped():
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


def test_shipped_money_becomes_available_after_the_set_days(app, shipped):
    order, part = shipped
    pending = services.balances_of(part.seller_id).pending
    assert pending > 0
    assert release_due_parts(now_utc() + dt.timedelta(days=6)) == 0
    assert release_due_parts(now_utc() + dt.timedelta(days=7, minutes=1)) == 1
    balances = services.balances_of(part.seller_id)
    assert (balances.pending, balances.available) == (0, pending)
    assert release_due_parts(now_utc() + dt.timedelta(days=8)) == 0
    # Delivery reported afterwards adds nothing.
    order_inbox.move_part_for_seller(
        part.id, part.seller_id, "delivered", actor_id=part.seller.user_id
    )
    assert services.balances_of(part.seller_id).available == pending
    keys = db.session.scalars(
        select(LedgerEntry.event_key).where(LedgerEntry.order_part_id == part.id).distinct()
    ).all()
    assert sorted(keys) == [f"part-{part.id}-delivered", f"part-{part.id}-paid"]


def test_the_setting_sets_the_days_and_the_command_is_safe_twice(app, shipped):
    _order, part = shipped
    app.config["AVAILABLE_AFTER_DAYS"] = 0
    try:
        runner = app.test_cli_runner()
        assert "1 part(s) released" in runner.invoke(args=["payouts", "release"]).output
        assert "0 part(s) released" in runner.invoke(args=["payouts", "release"]).output
    finally:
        app.config.pop("AVAILABLE_AFTER_DAYS")
    assert services.balances_of(part.seller_id).pending == 0


def test_a_buyers_complaint_holds_the_money(client, shipped):
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
    assert release_due_parts(now_utc() + dt.timedelta(days=30)) == 0
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
