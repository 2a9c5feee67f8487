"""The household's monthly statement as CSV: its entries of a WITA month, then the totals."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from marketplace.db import db
from marketplace.money import labels, services
from marketplace.money.models import Account, LedgerEntry
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


def test_a_statement_is_what_the_csv_module_writes_of_the_entries(app, clock):
    """Each line is written from pieces kept per event and per account: the file is still
    the csv module's, field by field (quoted where a comma, quote or line break asks)."""
    seller = factories.make_seller()
    clock.set(dt.datetime(2026, 11, 3, 1, 2, 3, tzinfo=dt.UTC))
    factories.make_earning_seller(price=75_000, seller=seller)
    for key, seconds in (('odd,"key"', 30), ("line\nbreak", 45), ("odd,again", 0)):
        clock.move(seconds=seconds)
        services.write_seller_event(
            key, seller.id, [(Account.SELLER_AVAILABLE, -7), (Account.PLATFORM_COMMISSION, 7)]
        )

    def label(account: str) -> str:
        return {"seller_available": 'Siap "dicairkan", kini'}.get(account, f"{account}\r\nx")

    with app.test_request_context():
        written = statement_csv(seller.id, "2026-11", label)

    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.seller_id == seller.id).order_by(LedgerEntry.id)
    ).all()
    assert len(entries) > 6
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["tanggal", "pesanan", "kejadian", "akun", "keterangan", "jumlah"])
    totals: dict[str, int] = {}
    for entry in entries:
        part = db.session.get(OrderPart, entry.order_part_id) if entry.order_part_id else None
        moment = entry.created_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        writer.writerow(
            [
                moment.strftime("%Y-%m-%d %H:%M"),
                order_number(part.order_id) if part else "",
                entry.event_key,
                entry.account,
                label(entry.account),
                entry.amount,
            ]
        )
        totals[entry.account] = totals.get(entry.account, 0) + entry.amount
    for account, total in sorted(totals.items()):
        writer.writerow(["", "", "total", account, label(account), total])
    assert written == out.getvalue()
    assert '"odd,""key"""' in written and '"Siap ""dicairkan"", kini"' in written
