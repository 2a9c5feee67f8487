"""Money back to a household, on phones: its bank account, the admin's run, the bank's file.

The household (with a delivered order whose share is available) records its bank account,
giving its password again; an admin checks the account, runs the payouts, downloads the
bank CSV and uploads the bank's result file; the household sees the money paid out and
downloads its monthly statement. The order is made with the factories in a session that
commits (gunicorn must see it); everything the journey wrote is deleted afterwards.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Seller
from marketplace.db import db
from marketplace.money import services
from marketplace.money.models import (
    DisbursementBatch,
    LedgerEntry,
    Payout,
    PayoutAccount,
    PayoutAccountChange,
    PayoutRun,
)
from tests import factories
from tests.cleanup import forget_ledger_entries, purge_orders_of
from tests.e2e.helpers import assert_fits_the_phone, go_to, new_shop_details, sign_in_as

pytestmark = pytest.mark.e2e

BUYER_EMAIL = "pencairan-e2e@contoh.id"
ACCOUNT_NUMBER = "0123456789"


@pytest.fixture
def household_with_earnings(app, accounts) -> Iterator[tuple]:
    """A household whose delivered order's share is available, and an admin; both removed
    afterwards with the order, the ledger rows, payouts, batch and run the journey made."""
    shop = new_shop_details(owner_name="Ibu Hana")
    household = accounts.create_household(shop, name="Ibu Hana")
    admin = accounts.create("admin", name="Admin Keuangan Uji")
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        seller = db.session.scalar(select(Seller).join(User).where(User.email == household.email))
        product = factories.make_product(seller=seller, price=120_000, stock=5)
        order = factories.make_delivered_order((product, 1), email=BUYER_EMAIL)
        db.session.commit()
        available = services.balances_of(seller.id).available
        assert available > 0
        yield household, admin, shop, seller.id, order.id, available
    finally:
        db.session.rollback()
        admin_id = select(User.id).where(User.email == admin.email).scalar_subquery()
        accounts_of = select(PayoutAccount.id).where(PayoutAccount.seller_id == seller.id)
        forget_ledger_entries(db.session, LedgerEntry.seller_id == seller.id)
        for statement in (
            delete(Payout).where(Payout.seller_id == seller.id),
            delete(PayoutAccountChange).where(
                PayoutAccountChange.payout_account_id.in_(accounts_of)
            ),
            delete(PayoutAccount).where(PayoutAccount.seller_id == seller.id),
            delete(DisbursementBatch).where(
                DisbursementBatch.created_by_id == admin_id,
                DisbursementBatch.id.not_in(
                    select(Payout.batch_id).where(Payout.batch_id.is_not(None))
                ),
            ),
            delete(PayoutRun).where(
                PayoutRun.started_by_id == admin_id,
                PayoutRun.id.not_in(select(Payout.run_id).where(Payout.run_id.is_not(None))),
            ),
        ):
            db.session.execute(statement)
        db.session.commit()
        purge_orders_of(BUYER_EMAIL)
        db.session.remove()
        db.session = test_session


def balance(page: Page, name: str):
    return page.locator(f'[data-balance="{name}"]')


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def test_a_household_is_paid_out_through_the_bank_batch_and_sees_it(
    open_phone, household_with_earnings
):
    household, admin, shop, _seller_id, _order_id, available = household_with_earnings
    hana, finance = open_phone("household"), open_phone("admin")

    # The household sees its share waiting for an account, and records its bank account.
    sign_in_as(hana, household)
    go_to(hana, "Pesanan masuk")
    hana.get_by_role("link", name="Pendapatan").click()
    expect(hana.get_by_role("heading", level=1)).to_have_text("Pendapatan")
    expect(balance(hana, "available")).to_have_text(rupiah(available))
    expect(hana.locator('[data-summary="available"]')).to_contain_text(
        f"{rupiah(available)} sudah bisa dicairkan."
    )
    expect(hana.locator("#earnings-summary")).not_to_contain_text("-Rp")
    # The ledger's own lines are one tap away, on their own page, not on the first screen.
    expect(hana.locator("[data-part]")).to_have_count(0)
    hana.get_by_role("link", name="Lihat rincian per pesanan").click()
    expect(hana.get_by_role("heading", level=1)).to_have_text("Rincian per pesanan")
    expect(hana.locator("#earning-parts li").first).to_be_visible()
    assert_fits_the_phone(hana)
    hana.go_back()
    expect(hana.locator("#next-payout")).to_contain_text("Isi rekening pencairan")
    hana.locator("#next-payout").get_by_role("link", name="Rekening pencairan").click()
    bank = hana.locator("form").filter(has=hana.get_by_role("button", name="Simpan rekening bank"))
    bank.get_by_label("Bank").select_option("014")  # BCA
    bank.get_by_label("Nomor rekening").fill(ACCOUNT_NUMBER)
    bank.get_by_label("Nama pemilik rekening").fill("Hana Lundayeh")
    # The password is asked again: a wrong one changes nothing.
    bank.get_by_label("Kata sandi Anda").fill("bukan-sandinya")
    bank.get_by_role("button", name="Simpan rekening bank").click()
    expect(hana.locator("p.error").first).to_be_visible()
    expect(hana.locator("[data-account]")).to_have_count(0)
    bank = hana.locator("form").filter(has=hana.get_by_role("button", name="Simpan rekening bank"))
    bank.get_by_label("Kata sandi Anda").fill(household.password)
    bank.get_by_role("button", name="Simpan rekening bank").click()
    expect(hana.locator('[data-verified="no"]')).to_have_text("Menunggu pemeriksaan admin")
    expect(hana.locator("#changes")).to_contain_text("6789")
    assert_fits_the_phone(hana)

    # The admin checks the account, runs the payouts and exports the bank batch.
    sign_in_as(finance, admin)
    go_to(finance, "Pencairan")
    finance.get_by_role("link", name="Rekening pencairan").click()
    row = finance.locator("li[data-account-id]").filter(has_text=shop.name)
    row.get_by_role("button", name="Tandai sudah diperiksa").click()
    expect(finance.get_by_role("status")).to_have_text("Rekening ditandai sudah diperiksa.")
    expect(row.locator(".badge")).to_have_text("Sudah diperiksa")
    go_to(finance, "Pencairan")
    finance.get_by_role("button", name="Jalankan pencairan").click()
    expect(finance.get_by_role("status").first).to_contain_text("pencairan dibuat")
    ours = finance.locator("tr").filter(has_text=shop.name)
    expect(ours).to_contain_text(rupiah(available))
    finance.get_by_role("button", name="Buat batch bank (CSV)").click()
    expect(finance.get_by_role("heading", level=1)).to_have_text(re.compile(r"\S"))
    with finance.expect_download() as download_info:
        finance.get_by_role("link", name="Unduh CSV untuk bank").click()
    lines = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    [line] = [line for line in lines if line["account_number"] == ACCOUNT_NUMBER]
    assert (line["bank_code"], line["holder_name"], int(line["amount"])) == (
        "014",
        "Hana Lundayeh",
        available,
    )
    number = line["reference"]

    # The bank's result file comes back: the line is paid.
    result = io.StringIO()
    writer = csv.writer(result)
    writer.writerow(["reference", "status", "bank_reference", "amount", "note"])
    writer.writerow([number, "berhasil", f"BCA-{number}", available, ""])
    finance.get_by_label("Berkas hasil dari bank (CSV)").set_input_files(
        files=[
            {"name": "hasil-bank.csv", "mimeType": "text/csv", "buffer": result.getvalue().encode()}
        ]
    )
    finance.get_by_role("button", name="Unggah hasil").click()
    expect(finance.locator('#outcomes [data-outcome="paid"]')).to_contain_text(number)
    expect(finance.locator(f'tr[data-payout="{number}"]')).to_have_attribute("data-status", "paid")
    assert_fits_the_phone(finance)

    # The household sees it paid out, and downloads the month's statement.
    go_to(hana, "Pesanan masuk")
    hana.get_by_role("link", name="Pendapatan").click()
    expect(balance(hana, "paid_out")).to_have_text(rupiah(available))
    expect(balance(hana, "available")).to_have_text("Rp0")
    expect(hana.locator('[data-summary="paid_out"]')).to_contain_text(
        f"{rupiah(available)} sudah diterima di rekening Anda. Terakhir pada"
    )
    with hana.expect_download() as download_info:
        hana.get_by_role("link", name="CSV").first.click()
    statement = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert statement[0] == ["tanggal", "pesanan", "kejadian", "akun", "keterangan", "jumlah"]
    totals = {row[3]: int(row[5]) for row in statement if row[2] == "total"}
    assert totals["seller_paid_out"] == available
    assert_fits_the_phone(hana)
