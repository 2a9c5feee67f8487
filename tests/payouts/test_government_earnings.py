"""A household's earnings from a protocol office's order read like a card order's: price,
commission and share, marked "Pesanan instansi", every ledger account under its label."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader

from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import billing
from marketplace.institutions import orders as gov
from marketplace.money.models import Account
from tests import factories

RAW = [account.value for account in Account]


def handed_over():
    """Two households deliver 10 boxes; the BAST is signed (the share is advanced)."""
    first = factories.make_product(stock=500, price=35_000)
    batik = factories.make_seller(shop_name="Batik Ibu C")
    products = [first, factories.make_product(seller=batik, stock=500, price=100_000)]
    order, _quote, officer, _ = factories.make_gov_order(products=products, boxes=10)
    for part in order.parts:
        owner = part.seller.user
        gov.confirm_part(part.id, part.seller_id, owner)
        for step in ("produced", "packed", "delivered"):
            gov.mark_progress(part.id, part.seller_id, owner, step)
        gov.confirm_receipt(order.id, part.id, officer, {ln.id: ln.quantity for ln in part.lines})
    billing.issue_handover(order.id, officer)
    db.session.commit()
    # The batik part is not the one that carries the printed cards.
    assert order.parts[0].seller_id != batik.id
    return batik, next(p for p in order.parts if p.seller_id == batik.id)


def test_the_household_sees_its_government_part_like_a_card_order(client, login_as):
    batik, part = handed_over()
    login_as(user=batik.user)
    page = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    item = re.search(rf'<li data-part="{part.id}">(.*?)</li>', page, re.S).group(1)
    assert "Pesanan instansi" in item
    # 10 × Rp100.000 received: 5% commission, the rest and the shipping are the household's.
    assert "Harga barang Rp1.000.000" in " ".join(item.split())
    assert "Komisi 5% Rp50.000" in " ".join(item.split())
    assert "Bagian Anda <strong>Rp1.000.000</strong>" in " ".join(item.split())
    assert "Tagihan ke instansi" in item and "Ditalangi platform" in item
    assert not any(raw in item for raw in RAW)
    assert "PPh 22 dipotong bendahara dari bagian Anda" in page

    client.post("/bahasa", data={"locale": "en", "next": "/"})
    english = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert "Government order" in english and "Owed by the institution" in english


@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
def test_the_monthly_statement_labels_government_accounts(client, login_as):
    batik, _part = handed_over()
    login_as(user=batik.user)
    month = today_local().strftime("%Y-%m")
    body = client.get(f"/penjual/pendapatan/laporan/{month}.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    labels = {row["akun"]: row["keterangan"] for row in rows}
    assert labels["government_receivable"] == "Tagihan ke instansi"
    assert labels["platform_advance"] == "Ditalangi platform"
    assert all(row["keterangan"] != row["akun"] for row in rows)

    response = client.get(f"/penjual/pendapatan/laporan/{month}.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Tagihan ke instansi" in text and "Ditalangi platform" in text
    assert not any(raw in text for raw in RAW)


def test_the_printed_cards_on_a_households_bill_are_not_its_commission(client, login_as):
    """The office's printed cards ride on the first part's bill: the platform's own sale,
    shown apart, not a bigger commission taken from the household."""
    from sqlalchemy import func, select

    from marketplace.money.models import LedgerEntry
    from marketplace.rupiah import format_rupiah

    batik, batik_part = handed_over()
    part = next(p for p in batik_part.order.parts if p.seller_id != batik.id)
    login_as(user=part.seller.user)
    page = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    item = " ".join(
        re.search(rf'<li data-part="{part.id}">(.*?)</li>', page, re.S).group(1).split()
    )
    # 10 × Rp35.000 received: 5% commission is Rp17.500; 10 cards × Rp5.000 are the platform's.
    assert "Harga barang Rp350.000" in item and "Komisi 5% Rp17.500" in item
    assert "Kartu ucapan (milik platform) Rp50.000" in item
    share = format_rupiah(350_000 - 17_500 + part.shipping_amount)
    assert f"Bagian Anda <strong>{share}</strong>" in item
    total = db.session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.order_part_id == part.id)
    )
    assert total == 0


def test_the_plain_summary_counts_a_government_part_like_a_sale():
    """10 × Rp100.000 received at the BAST: sold Rp1.000.000, the platform's 5% Rp50.000,
    below the PPh 22 threshold; what the household has is where its money is."""
    from marketplace.money.summary import earnings_summary

    batik, part = handed_over()
    summary = earnings_summary(batik.id)
    assert summary.all_time.sold == 1_000_000
    assert summary.all_time.commission == 50_000
    assert summary.all_time.shipping == part.shipping_amount
    assert summary.all_time.pph22 == 0
    where = summary.waiting_total + summary.available + summary.in_transit_total
    assert summary.all_time.earned == where + summary.paid_out == 950_000 + part.shipping_amount
