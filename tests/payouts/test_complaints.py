"""An admin settles a buyer's complaint: the held money goes to the household or back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.db import db, now_utc
from marketplace.jobs import run_pending_jobs
from marketplace.money import services
from marketplace.money.availability import deliver_due_parts
from marketplace.money.models import PartComplaint, Payout, Refund
from marketplace.orders import inbox as order_inbox
from marketplace.orders.models import OrderEvent
from tests import factories


def admin():
    return factories.make_user(roles=[Role.ADMIN], name="Admin Pasar")


def mails_to(inbox, address: str) -> dict[str, str]:
    return {
        m["Subject"]: m.get_payload(decode=True).decode()
        for m in inbox.messages
        if m["To"] == address
    }


def test_releasing_makes_the_held_money_available_and_tells_both(client, login_as, inbox):
    complaint = factories.make_complaint()
    part = complaint.part
    order, seller = part.order, part.seller
    db.session.commit()
    # Held: the release command passes it by, whatever the date.
    assert deliver_due_parts() == 0
    assert services.balances_of(seller.id).available == 0
    pending = services.balances_of(seller.id).pending
    assert pending > 0

    actor = admin()
    login_as(user=actor)
    page = client.get("/admin/keluhan").get_data(as_text=True)
    assert f'data-complaint-id="{complaint.id}"' in page
    assert "Kemasan penyok, isinya hancur." in page
    inbox.messages.clear()
    response = client.post(
        f"/admin/keluhan/{complaint.id}",
        data={"action": "released", "reason": "Foto pembeli menunjukkan isi utuh."},
    )
    assert response.status_code == 303
    run_pending_jobs()

    db.session.expire_all()
    assert services.balances_of(seller.id).available == pending
    assert services.balances_of(seller.id).pending == 0
    assert (complaint.resolution, complaint.resolved_by_id) == ("released", actor.id)
    assert complaint.resolution_note == "Foto pembeli menunjukkan isi utuh."
    assert complaint.resolved_at is not None
    event = db.session.scalars(
        select(OrderEvent).where(OrderEvent.part_id == part.id).order_by(OrderEvent.id.desc())
    ).first()
    assert (event.actor_id, event.actor_kind) == (actor.id, "admin")
    assert "Foto pembeli menunjukkan isi utuh." in event.note

    buyer = mails_to(inbox, order.contact_email)
    assert f"Laporan pesanan {order.number} sudah diperiksa" in buyer
    household = mails_to(inbox, seller.user.email)
    body = household[f"Laporan pembeli pesanan {order.number} sudah diselesaikan"]
    assert "dilepas ke toko Anda" in body and "Kemasan penyok" in body

    page = client.get("/admin/keluhan").get_data(as_text=True)
    assert "Dana dilepas ke penjual" in page

    # A second decision (another admin, a double click) changes nothing.
    again = client.post(
        f"/admin/keluhan/{complaint.id}",
        data={"action": "refunded", "reason": "Berubah pikiran."},
        follow_redirects=True,
    )
    assert "Laporan ini sudah diselesaikan." in again.get_data(as_text=True)
    db.session.expire_all()
    assert complaint.resolution == "released"
    assert db.session.scalar(select(Refund).where(Refund.part_id == part.id)) is None


def test_refunding_cancels_the_part_and_gives_the_money_back(client, login_as, inbox):
    complaint = factories.make_complaint(price=80_000)
    part = complaint.part
    order, seller = part.order, part.seller
    product = db.session.get(Product, part.lines[0].product_id)
    assert product.stock == 99
    db.session.commit()
    login_as(user=admin())
    inbox.messages.clear()
    response = client.post(
        f"/admin/keluhan/{complaint.id}",
        data={"action": "refunded", "reason": "Barang rusak di jalan."},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "dikembalikan" in response.get_data(as_text=True)
    run_pending_jobs()

    db.session.expire_all()
    assert part.status == "cancelled"
    refund = db.session.scalar(select(Refund).where(Refund.part_id == part.id))
    # The goods come back; the shipping of a shipped part is the household's (the courier).
    assert refund.amount == part.items_amount
    balances = services.balances_of(seller.id)
    assert (balances.pending, balances.available) == (0, part.shipping_amount)
    assert complaint.resolution == "refunded"
    assert product.stock == 100  # the goods are not sold after all

    buyer = mails_to(inbox, order.contact_email)
    assert f"Dana pesanan {order.number} dikembalikan" in buyer
    assert "Barang rusak di jalan." in buyer[f"Dana pesanan {order.number} dikembalikan"]
    household = mails_to(inbox, seller.user.email)
    assert (
        "dikembalikan ke pembeli"
        in (household[f"Laporan pembeli pesanan {order.number} sudah diselesaikan"])
    )


def test_a_decision_without_a_reason_is_refused_and_keeps_the_complaint_open(client, login_as):
    complaint = factories.make_complaint()
    db.session.commit()
    login_as(user=admin())
    response = client.post(
        f"/admin/keluhan/{complaint.id}", data={"action": "released", "reason": "   "}
    )
    assert response.status_code == 400
    assert "Tulis alasan keputusan ini." in response.get_data(as_text=True)
    db.session.expire_all()
    assert complaint.resolution is None
    assert services.balances_of(complaint.part.seller_id).available == 0


def test_money_under_an_open_complaint_is_never_paid_out(app, client, login_as):
    """The seen bug: reported, then marked delivered, then a payout run, then a refund."""
    complaint = factories.make_complaint(price=1_255_000)
    part = complaint.part
    seller = part.seller
    factories.make_payout_account(seller)
    held = services.balances_of(seller.id).pending
    db.session.commit()

    login_as(user=seller.user)
    response = client.post(f"/penjual/pesanan/{part.id}", data={"action": "delivered"})
    assert response.status_code == 303
    db.session.expire_all()
    assert part.status == "delivered"
    # Delivered, but held: nothing available, the timer passes it by too.
    balances = services.balances_of(seller.id)
    assert (balances.pending, balances.available) == (held, 0)
    assert deliver_due_parts(now_utc() + dt.timedelta(days=60)) == 0
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["payouts", "run"]).output
    assert "0 payout(s) created" in output
    assert db.session.scalar(select(Payout.id)) is None

    login_as(user=admin())
    response = client.post(
        f"/admin/keluhan/{complaint.id}",
        data={"action": "refunded", "reason": "Isi rusak, pembeli mengirim foto."},
    )
    assert response.status_code == 303
    db.session.expire_all()
    balances = services.balances_of(seller.id)
    # Only the goods go back: the household keeps what it paid the courier, nothing negative.
    assert (balances.pending, balances.available, balances.in_transit) == (
        0,
        part.shipping_amount,
        0,
    )
    refund = db.session.scalar(select(Refund).where(Refund.part_id == part.id))
    assert refund.amount == part.items_amount


def test_releasing_a_complaint_on_a_delivered_part_frees_its_money(client, login_as):
    complaint = factories.make_complaint()
    part = complaint.part
    order_inbox.move_part_for_seller(
        part.id, part.seller_id, "delivered", actor_id=part.seller.user_id
    )
    held = services.balances_of(part.seller_id).pending
    assert services.balances_of(part.seller_id).available == 0
    db.session.commit()
    login_as(user=admin())
    response = client.post(
        f"/admin/keluhan/{complaint.id}",
        data={"action": "released", "reason": "Barang diterima utuh."},
    )
    assert response.status_code == 303
    db.session.expire_all()
    balances = services.balances_of(part.seller_id)
    assert (balances.pending, balances.available) == (0, held)


def test_a_problem_is_not_taken_once_the_money_went_to_the_household(client):
    seller = factories.make_seller()
    order = factories.make_paid_order((factories.make_product(seller=seller), 1))
    part = order.parts[0]
    order_inbox.move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    order_inbox.move_part_for_seller(
        part.id, seller.id, "ship", actor_id=seller.user_id, courier="JNE", tracking_number="J1"
    )
    db.session.commit()
    assert deliver_due_parts(now_utc() + dt.timedelta(days=8)) == 1
    response = client.post(
        f"/pesanan/{order.access_token}/masalah/{part.id}", data={"message": "Amplang remuk"}
    )
    assert response.status_code == 400
    assert "sudah diterima dan dananya diteruskan ke penjual" in response.get_data(as_text=True)
    assert db.session.scalar(select(PartComplaint.id)) is None
