"""Payout runs on the default method: a bank batch exported as CSV, confirmed per line."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from marketplace.money import accounts, batches, runs, services
from marketplace.money.models import LedgerEntry, Payout, payout_number
from tests import factories
from tests.factories import PASSWORD

DAY = dt.date(2026, 11, 30)


def every_event_sums_to_zero() -> bool:
    rows = db.session.execute(
        select(LedgerEntry.event_key, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.event_key)
    ).all()
    return all(total == 0 for _, total in rows)


def result_file(*rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "status", "bank_reference", "amount", "note"])
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def households():
    """Three households with Rp95.000 available: verified bank, unverified, no account."""
    paid, unchecked, none = (factories.make_earning_seller() for _ in range(3))
    factories.make_payout_account(paid)
    factories.make_payout_account(unchecked, verified=False)
    db.session.commit()  # the run's units of work begin by ending the open transaction
    return paid, unchecked, none


def test_a_run_pays_each_verified_balance_once_and_says_why_it_skipped(households):
    paid, unchecked, none = households
    available = services.balances_of(paid.id).available
    assert available == 95_000 + db.session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.seller_id == paid.id,
            LedgerEntry.account == "shipping",
            LedgerEntry.amount > 0,
        )
    )
    result = runs.run_payouts(today=DAY)
    assert len(result.created) == 1
    payout = db.session.get(Payout, result.created[0])
    assert (payout.seller_id, payout.amount, payout.status) == (paid.id, available, "created")
    assert payout.idempotency_key == (
        f"payout-2026-11-30-s{paid.id}-e{payout.balance_through_entry_id}"
    )
    skipped = dict(result.skipped)
    assert skipped[unchecked.shop_name] == "Rekening belum diperiksa admin."
    assert skipped[none.shop_name] == "Belum ada rekening pencairan."
    balances = services.balances_of(paid.id)
    assert (balances.available, balances.in_transit, balances.paid_out) == (0, available, 0)
    assert every_event_sums_to_zero()

    again = runs.run_payouts(today=DAY)
    assert again.created == []
    assert dict(again.skipped)[paid.shop_name] == (
        "Sudah ada pencairan untuk toko ini pada hari ini."
    )
    next_week = runs.run_payouts(today=DAY + dt.timedelta(days=7))
    assert next_week.created == []
    assert dict(next_week.skipped)[paid.shop_name] == (
        "Saldo kosong atau negatif: dipotong dari pendapatan berikutnya."
    )
    assert db.session.scalar(select(func.count(Payout.id))) == 1


def test_below_the_minimum_waits_and_more_than_available_is_refused(app, households):
    paid, *_ = households
    app.config["PAYOUT_MINIMUM_AMOUNT"] = 10_000_000
    try:
        result = runs.run_payouts(today=DAY)
    finally:
        app.config.pop("PAYOUT_MINIMUM_AMOUNT")
    assert result.created == []
    assert dict(result.skipped)[paid.shop_name] == "Saldo di bawah minimum pencairan."
    available = services.balances_of(paid.id).available
    with pytest.raises(runs.PayoutError, match="melebihi saldo"):
        runs.create_payout(paid.id, DAY, amount=available + 1)
    assert services.balances_of(paid.id).available == available


def test_the_batch_keeps_the_account_the_run_computed_for(households, login_as, client):
    """A household changing its account between the run and the export: the payout keeps
    the (verified) account it was computed for; the new one waits for an admin."""
    paid, *_ = households
    [payout_id] = runs.run_payouts(today=DAY).created
    accounts.save_bank_account(
        paid.id,
        paid.user,
        PASSWORD,
        bank_code="009",
        account_number="9998887776",
        holder_name="Orang Lain",
    )
    db.session.commit()
    assert not accounts.is_payable(accounts.account_of(paid.id))

    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    response = client.post("/admin/pencairan/batch")
    assert response.status_code == 303
    batch_page = response.headers["Location"]
    exported = client.get(batch_page + ".csv")
    assert exported.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    payout = db.session.get(Payout, payout_id)
    assert lines == [
        {
            "reference": payout.number,
            "method": "bank",
            "bank_code": "014",
            "bank_or_wallet": "BCA",
            "account_number": "0123456789",
            "holder_name": paid.owner_name,
            "amount": str(payout.amount),
            "description": f"Pasar Oleh-Oleh Kaltara {payout.number}",
        }
    ]
    # Nothing is left to export twice.
    again = client.post("/admin/pencairan/batch")
    assert again.headers["Location"].endswith("/admin/pencairan")


def test_the_banks_result_file_settles_each_line_once(households, login_as, client, inbox):
    paid, unchecked, _ = households
    other = factories.make_earning_seller()
    factories.make_payout_account(other, method="ewallet")
    db.session.commit()
    created = runs.run_payouts(today=DAY).created
    assert len(created) == 2
    batch = batches.export_batch(actor_id=None)
    first, second = (db.session.get(Payout, payout_id) for payout_id in created)

    admin = factories.make_user(roles=[Role.ADMIN], email="admin.bank@contoh.id")
    login_as(user=admin)
    upload = result_file(
        (first.number, "BERHASIL", "BRI-REF-0001", first.amount, ""),
        (second.number, "GAGAL", "", second.amount, "Rekening tidak aktif"),
        ("PO-999999", "BERHASIL", "BRI-REF-0002", 1, ""),
        ("bukan-nomor", "BERHASIL", "BRI-REF-0003", 1, ""),
    )
    response = client.post(
        f"/admin/pencairan/batch/{batch.id}",
        data={"result": (io.BytesIO(upload.encode()), "hasil.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-line="2" data-outcome="paid"' in page
    assert 'data-line="3" data-outcome="failed"' in page
    assert 'data-line="4" data-outcome="refused"' in page
    assert "PO-999999 · Ditolak · Pencairan tidak dikenal." in page
    assert 'data-line="5" data-outcome="refused"' in page

    db.session.expire_all()
    assert (first.status, first.reference) == ("paid", "BRI-REF-0001")
    assert second.status == "failed" and second.failure_reason == "Rekening tidak aktif"
    assert services.balances_of(first.seller_id).paid_out == first.amount
    # The failed payout's money is back, for the next run.
    assert services.balances_of(second.seller_id).available == second.amount
    assert services.balances_of(second.seller_id).in_transit == 0
    # The admins are told of the failed line, once it is committed.
    run_pending_jobs()
    [mail] = [m for m in inbox.messages if m["To"] == admin.email]
    assert mail["Subject"] == f"Pencairan {second.number} gagal"
    assert "Rekening tidak aktif" in mail.get_payload(decode=True).decode()

    # The same file again pays nothing twice.
    again = client.post(
        f"/admin/pencairan/batch/{batch.id}",
        data={"result": (io.BytesIO(upload.encode()), "hasil.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert again.count('data-outcome="refused"') == 4
    assert "Sudah dikonfirmasi sebelumnya (BRI-REF-0001)." in again
    assert "Sudah ditandai gagal sebelumnya." in again
    db.session.expire_all()
    assert services.balances_of(first.seller_id).paid_out == first.amount
    assert services.balances_of(first.seller_id).available == 0
    assert every_event_sums_to_zero()
    # Nothing failed again: no second mail.
    assert len([m for m in inbox.messages if m["To"] == admin.email]) == 1


def test_a_result_line_with_the_wrong_amount_or_a_reused_reference_is_refused(households):
    paid, *_ = households
    second_household = factories.make_earning_seller()
    factories.make_payout_account(second_household)
    db.session.commit()
    first_id, second_id = runs.run_payouts(today=DAY).created
    batches.export_batch(actor_id=None)
    first, second = db.session.get(Payout, first_id), db.session.get(Payout, second_id)
    outcomes = batches.confirm_batch_results(
        result_file(
            (first.number, "berhasil", "REF-1", first.amount + 1, ""),
            (first.number, "berhasil", "REF-1", first.amount, ""),
            (second.number, "berhasil", "REF-1", second.amount, ""),
        )
    )
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("refused", f"Jumlah tidak sama dengan pencairan ({first.amount})."),
        ("paid", ""),
        ("refused", "Nomor referensi bank sudah dipakai pencairan lain."),
    ]


def test_a_result_file_without_its_columns_is_refused(households, login_as, client):
    runs.run_payouts(today=DAY)
    batch = batches.export_batch(actor_id=None)
    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    response = client.post(
        f"/admin/pencairan/batch/{batch.id}",
        data={"result": (io.BytesIO(b"a,b\n1,2\n"), "hasil.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Berkas hasil harus punya kolom reference dan status." in response.get_data(as_text=True)


def test_the_admin_runs_the_payouts_from_the_page_and_the_command_is_safe_twice(
    app, households, login_as, client
):
    paid, *_ = households
    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    response = client.post("/admin/pencairan/jalankan", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 pencairan dibuat, 2 toko dilewati." in page
    assert 'data-status="created"' in page
    # The command shares this test's session: end the savepoint holding the request's work.
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["payouts", "run"]).output
    assert "0 payout(s) created" in output
    assert f"skipped {paid.shop_name}: Sudah ada pencairan" in output
    assert db.session.scalar(select(func.count(Payout.id))) == 1


def test_the_admins_list_reads_each_payout_as_its_record_says(households, login_as, client):
    paid, *_ = households
    created = runs.run_payouts(today=DAY).created
    rows = runs.list_payouts()
    assert [row.id for row in rows] == sorted(created, reverse=True)
    payout = db.session.get(Payout, created[0])
    row = rows.items[0]
    assert row == (
        payout.id,
        payout_number(payout.id),
        paid.shop_name,
        payout.amount,
        payout.method,
        payout.status,
        payout.reference,
        payout.failure_reason,
    )
    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    page = client.get("/admin/pencairan").get_data(as_text=True)
    number = payout_number(payout.id)
    amount = f"Rp{payout.amount:,}".replace(",", ".")
    assert (
        f'<tr data-payout="{number}" data-status="created"><td>{number}</td>'
        f"<td>{escape(paid.shop_name)}</td><td>{amount}</td><td>Rekening bank</td>"
    ) in page
