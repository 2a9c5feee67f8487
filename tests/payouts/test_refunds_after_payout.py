"""A refund after the household was paid: its balance goes negative, the next runs net it
off, and a Stripe transfer is reversed where it can be. Nothing is silently lost."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from marketplace.db import db
from marketplace.money import batches, refunds, runs, services
from marketplace.money.models import Payout
from marketplace.orders.models import OrderPart
from marketplace.payments.connect import TestConnect
from marketplace.rupiah import format_rupiah
from tests import factories

DAY = dt.date(2026, 11, 30)


def last_part(seller) -> OrderPart:
    return db.session.scalars(
        select(OrderPart).where(OrderPart.seller_id == seller.id).order_by(OrderPart.id.desc())
    ).first()


def pay_by_bank(seller, day) -> Payout:
    [payout_id] = runs.run_payouts(today=day).created
    batches.export_batch(actor_id=None)
    payout = db.session.get(Payout, payout_id)
    [line] = batches.confirm_batch_results(
        f"reference,status,bank_reference\n{payout.number},berhasil,REF-{payout_id}\n"
    )
    assert line.outcome == "paid"
    return payout


def test_a_refund_after_a_bank_payout_is_netted_off_the_next_one(client, login_as):
    seller = factories.make_earning_seller(price=100_000)
    factories.make_payout_account(seller)
    db.session.commit()
    first = pay_by_bank(seller, DAY)
    part = last_part(seller)
    admin = factories.make_user()
    refunds.refund_partly(
        part.order_id,
        part.id,
        40_000,
        refund_key="after-payout",
        actor_id=admin.id,
        reason="Sebagian barang rusak",
    )
    db.session.commit()
    balances = services.balances_of(seller.id)
    assert balances.paid_out == first.amount
    # the household's share of the Rp40.000 (the commission takes its part back too)
    owed = -balances.available
    assert 0 < owed < 40_000

    result = runs.run_payouts(today=DAY + dt.timedelta(days=7))
    assert result.created == []
    assert dict(result.skipped)[seller.shop_name] == (
        "Saldo kosong atau negatif: dipotong dari pendapatan berikutnya."
    )
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    assert "Saldo negatif karena ada pengembalian dana setelah pencairan" in page
    # Rp40.000 back, split over what is left of the part: share Rp95.000, commission Rp5.000.
    assert owed == 38_000
    summary = " ".join(
        re.sub(
            r"<[^>]+>", " ", page.split('id="earnings-summary"')[1].split("</section>")[0]
        ).split()
    )
    assert "-Rp" not in summary
    assert "Rp38.000 akan dipotong dari pendapatan berikutnya" in summary
    assert "Rp40.000 dari penjualan dikembalikan ke pembeli" in summary
    assert "Platform mengambil Rp3.000 dari penjualan itu" in summary
    kept = 100_000 - 3_000 - 40_000 + part.shipping_amount
    assert f"Jadi yang menjadi milik Anda {format_rupiah(kept)}" in summary
    assert kept == balances.paid_out + balances.available

    factories.make_earning_seller(price=100_000, seller=seller)
    db.session.commit()
    earned = services.balances_of(seller.id).available + owed
    second = pay_by_bank(seller, DAY + dt.timedelta(days=14))
    assert second.amount == earned - owed
    balances = services.balances_of(seller.id)
    assert balances.available == 0
    assert balances.paid_out == first.amount + second.amount


def test_a_refund_after_a_stripe_payout_reverses_the_transfer(app):
    app.extensions["connect_gateway"] = connect = TestConnect()
    seller = factories.make_earning_seller(price=100_000)
    factories.make_payout_account(seller, method="stripe", stripe_account_id="acct_ibu")
    db.session.commit()
    result = runs.run_payouts(today=DAY, connect=connect)
    [payout_id] = result.transferred
    payout = db.session.get(Payout, payout_id)
    assert payout.status == "paid" and payout.reference in connect.transfers

    part = last_part(seller)
    refunds.refund_partly(
        part.order_id, part.id, 40_000, refund_key="r1", actor_id=None, reason="Barang rusak"
    )
    db.session.commit()
    owed = -services.balances_of(seller.id).available
    assert owed > 0

    again = runs.run_payouts(today=DAY + dt.timedelta(days=7), connect=connect)
    assert again.reversed == [(payout.number, owed)]
    assert connect.transfers[payout.reference].reversed_amount == owed
    db.session.expire_all()
    assert payout.reversed_amount == owed
    balances = services.balances_of(seller.id)
    assert (balances.available, balances.paid_out) == (0, payout.amount - owed)
    # A third run reverses nothing more.
    assert runs.run_payouts(today=DAY + dt.timedelta(days=14), connect=connect).reversed == []


def test_a_failed_stripe_transfer_returns_the_money_and_tells_the_admin(app, client, login_as):
    app.extensions["connect_gateway"] = connect = TestConnect()
    connect.failing.add("acct_tutup")
    seller = factories.make_earning_seller()
    factories.make_payout_account(seller, method="stripe", stripe_account_id="acct_tutup")
    db.session.commit()
    available = services.balances_of(seller.id).available
    result = runs.run_payouts(today=DAY, connect=connect)
    [(number, reason)] = result.failed
    assert "No such destination" in reason
    payout = db.session.scalar(select(Payout).where(Payout.seller_id == seller.id))
    assert payout.status == "failed"
    balances = services.balances_of(seller.id)
    assert (balances.available, balances.in_transit, balances.paid_out) == (available, 0, 0)
    login_as(user=factories.make_user(roles=["admin"]))
    page = client.get("/admin/pencairan").get_data(as_text=True)
    assert f'data-payout="{number}" data-status="failed"' in page
    assert "Stripe: No such destination: acct_tutup" in page
