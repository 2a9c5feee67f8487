"""The messages people receive, as they see them in their inbox and by e-mail: the order's
own number, dates the Indonesian way, the person's language, a link to the thing itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import ProductStatus
from marketplace.dates import format_day
from marketplace.db import db, today_local
from marketplace.institutions.orders import gov_part_of
from marketplace.jobs import run_pending_jobs
from marketplace.money import runs
from marketplace.money.models import Payout
from marketplace.notify.models import Notification
from marketplace.notify.services import inbox
from marketplace.orders.messages import SHIP_WITHIN_DAYS
from marketplace.pkk.services import approve_product, request_changes
from tests import factories


def entries_of(user, locale: str = "id"):
    due, rest = inbox(user.id, locale)
    return due, rest


def mails(inbox_server) -> dict[str, str]:
    return {m["Subject"]: m.get_payload(decode=True).decode() for m in inbox_server.messages}


def test_changes_requested_reach_the_household_with_the_comments_and_a_link(inbox):
    seller = factories.make_seller()
    product = factories.make_product(
        seller=seller, name="Amplang Bu Tini", status=ProductStatus.PENDING_REVIEW
    )
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    request_changes(product, reviewer, "Label belum memuat nomor P-IRT.")
    db.session.commit()
    run_pending_jobs()
    _due, rest = entries_of(seller.user)
    assert rest[0].message.title == "PKK meminta perbaikan kemasan Amplang Bu Tini"
    assert "Catatan PKK: Label belum memuat nomor P-IRT." in rest[0].message.lines
    row = db.session.get(Notification, rest[0].id)
    assert row.url == f"/penjual/produk/{product.id}"
    body = mails(inbox)["PKK meminta perbaikan kemasan Amplang Bu Tini"]
    assert f"http://127.0.0.1:5000/penjual/produk/{product.id}" in body


def test_approval_is_told_in_the_households_language():
    seller = factories.make_seller()
    seller.user.locale = "en"
    product = factories.make_product(
        seller=seller, name="Madu Kelulut", status=ProductStatus.PENDING_REVIEW
    )
    approve_product(product, factories.make_user(roles=[Role.REVIEWER]))
    row = db.session.scalar(select(Notification).where(Notification.user_id == seller.user_id))
    assert row.kind == "packaging.approved"
    _due, rest = entries_of(seller.user, "en")
    assert rest[0].message.title == "The PKK approved the packaging of Madu Kelulut"
    assert "Madu Kelulut is now shown to buyers." in rest[0].message.lines


def test_a_paid_order_tells_the_household_what_how_many_and_ship_by(inbox):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, name="Abon Kepiting", stock=9)
    order = factories.make_paid_order((product, 3))
    db.session.commit()
    run_pending_jobs()
    part = order.parts[0]
    body = mails(inbox)[f"Pesanan baru {order.number}"]
    assert order.number.startswith("PSR-")
    assert "- 3 x Abon Kepiting" in body
    ship_by = today_local() + dt.timedelta(days=SHIP_WITHIN_DAYS)
    assert f"Kirim paling lambat {format_day(ship_by)}." in body
    assert f"http://127.0.0.1:5000/penjual/pesanan/{part.id}" in body
    buyer = mails(inbox)[f"Pembayaran pesanan {order.number} diterima"]
    assert f"/pesanan/{order.access_token}" in buyer


def test_a_government_order_stands_apart_and_sorts_by_deadline():
    seller = factories.make_seller()
    public = factories.make_product(seller=seller, stock=50, price=35_000)
    factories.make_paid_order((public, 1))
    first, *_ = factories.make_gov_order(
        products=[factories.make_product(seller=seller, stock=500, price=35_000)], days=40
    )
    second, *_ = factories.make_gov_order(
        products=[factories.make_product(seller=seller, stock=500, price=35_000)], days=20
    )
    due, rest = entries_of(seller.user)
    assert [entry.message.mark for entry in due] == ["Pesanan instansi", "Pesanan instansi"]
    deadlines = [gov_part_of(order.parts[0]).confirm_by for order in (second, first)]
    assert deadlines[0] < deadlines[1]
    assert [entry.message.title for entry in due] == [
        f"Pesanan instansi {order.number}: konfirmasi sebelum {format_day(day)}"
        for order, day in zip((second, first), deadlines, strict=True)
    ]
    assert all(not entry.message.mark for entry in rest)
    assert any(entry.message.title.startswith("Pesanan baru PSR-") for entry in rest)


def test_a_payout_sent_and_one_failed_are_told_to_the_household():
    seller = factories.make_earning_seller()
    factories.make_payout_account(seller)
    db.session.commit()
    result = runs.run_payouts(today=dt.date(2026, 11, 30))
    payout = db.session.get(Payout, result.created[0])
    runs.fail_payout(payout.id, "rekening ditutup")
    titles = [entry.message for entry in entries_of(seller.user)[1]]
    failed = next(m for m in titles if m.title == f"Pencairan {payout.number} gagal")
    assert "Alasan: rekening ditutup" in failed.lines
