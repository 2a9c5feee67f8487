"""The household's monthly statement as CSV: its entries of a WITA month, then the totals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace.db import db
from marketplace.money import labels, services
from marketplace.money.models import Account
from marketplace.money.statements import statement_csv
from marketplace.orders.models import OrderPart, order_number
from tests import factories


def test_a_statement_writes_each_entry_of_the_wita_month_with_its_order_and_totals(app, clock):
    seller = factories.make_seller()
    other = factories.make_seller()
    # 23:58:59 on 30 November in WITA (UTC+8): still November.
    clock.set(dt.datetime(2026, 11, 30, 15, 58, 59, tzinfo=dt.UTC))
    factories.make_earning_seller(price=100_000, seller=seller)
    part_id, order_id = _part_of(seller.id)
    clock.move(seconds=2)  # 23:59:01: the next minute
    services.write_seller_event(
        "reversal-1",
        seller.id,
        [(Account.SELLER_AVAILABLE, -2_000), (Account.PLATFORM_COMMISSION, 2_000)],
    )
    services.write_seller_event(
        "elsewhere", other.id, [(Account.SELLER_AVAILABLE, -5), (Account.SELLER_PAID_OUT, 5)]
    )
    clock.move(seconds=60)  # 00:00:01 on 1 December: the next month's
    services.write_seller_event(
        "payout-1",
        seller.id,
        [(Account.SELLER_AVAILABLE, -1_000), (Account.SELLER_PAID_OUT, 1_000)],
    )
    with app.test_request_context():
        lines = statement_csv(seller.id, "2026-11", labels.ledger_account_label).splitlines()
        december = statement_csv(seller.id, "2026-12", labels.ledger_account_label).splitlines()

    assert lines[0] == "tanggal,pesanan,kejadian,akun,keterangan,jumlah"
    entries = [line for line in lines[1:] if ",total," not in line]
    number = order_number(order_id)
    sale = [line for line in entries if ",reversal-1," not in line]
    assert sale and all(line.startswith(f"2026-11-30 23:58,{number},") for line in sale)
    assert entries[-2:] == [
        "2026-11-30 23:59,,reversal-1,seller_available,Siap dicairkan,-2000",
        "2026-11-30 23:59,,reversal-1,platform_commission,Komisi platform,2000",
    ]
    assert '"Bagian toko, menunggu"' in "\n".join(sale)  # a label with a comma is quoted
    totals = {
        line.split(",")[3]: int(line.rsplit(",", 1)[1]) for line in lines if ",total," in line
    }
    assert list(totals) == sorted(totals)
    sums = {account: 0 for account in totals}
    for line in entries:
        account, amount = line.split(",")[3], int(line.rsplit(",", 1)[1])
        sums[account] += amount
    assert totals == sums
    assert (
        totals["platform_commission"] == services.part_sums(part_id)["platform_commission"] + 2_000
    )
    assert december == [
        "tanggal,pesanan,kejadian,akun,keterangan,jumlah",
        "2026-12-01 00:00,,payout-1,seller_available,Siap dicairkan,-1000",
        "2026-12-01 00:00,,payout-1,seller_paid_out,Dicairkan,1000",
        ",,total,seller_available,Siap dicairkan,-1000",
        ",,total,seller_paid_out,Dicairkan,1000",
    ]


def _part_of(seller_id: int) -> tuple[int, int]:
    """(id, order id) of the household's one part."""
    return tuple(
        db.session.execute(
            select(OrderPart.id, OrderPart.order_id).where(OrderPart.seller_id == seller_id)
        ).one()
    )


def test_the_statement_is_a_file_named_after_the_shop_and_month(client, login_as):
    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    response = client.get("/penjual/pendapatan/laporan/2026-11.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="pendapatan-{seller.slug}-2026-11.csv"'
    )
    login_as("seller")  # a seller's role without a shop
    assert client.get("/penjual/pendapatan/laporan/2026-11.csv").status_code == 404
