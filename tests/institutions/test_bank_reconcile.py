"""SP2D receipts against the bank's own record: the statement an admin imports.

The admin uploads the statement of the account invoices are paid into (CSV, as internet
banking exports it); the reconciliation then pairs each SP2D with a credit (by the SP2D or
invoice number in the description, else by amount, within days of the SP2D's date) and
lists what does not pair, on the admin page and in ``flask payouts reconcile``.
"""

from __future__ import annotations

import datetime as dt
import io

from flask import current_app
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.db import db, today_local
from marketplace.institutions import billing
from marketplace.money.models import BankStatement, BankStatementLine
from marketplace.money.reconcile import default_days, period_of, reconcile
from tests import factories


def differences():
    db.session.expire_all()
    return sorted(
        (d.subject, d.note, d.ledger, d.gateway)
        for d in reconcile(
            period_of(*default_days(today_local())),
            gateway=current_app.extensions["payment_gateway"],
            connect=current_app.extensions["connect_gateway"],
        )
    )


def rupiah(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def upload(client, text: str):
    return client.post(
        "/admin/pencairan/rekening-koran",
        data={
            "statement": (io.BytesIO(text.encode()), "mutasi-november.csv"),
            "idempotency_token": factories.form_token(),  # each upload a page of its own
        },
        content_type="multipart/form-data",
    )


def lines_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(BankStatementLine))


def test_each_sp2d_is_paired_with_a_bank_credit_and_each_difference_listed(
    app, client, login_as, clock
):
    admin = factories.make_user(roles=[Role.ADMIN])
    invoices = [factories.make_invoiced_gov_order()[3] for _ in range(5)]
    signed = today_local()
    clock.move(days=3)
    day = [signed + dt.timedelta(days=n) for n in range(4)]
    by_number, by_amount, short, missing, uncovered = invoices
    sp2d = {}
    for invoice, reference, paid_on in (
        (by_number, "0101/SP2D/LS/2026", day[1]),
        (by_amount, "SP2D-102", day[1]),
        (short, "SP2D-103", day[2]),
        (missing, "SP2D-104", day[3]),
        (uncovered, "SP2D-105", day[0]),
    ):
        sp2d[reference] = billing.record_payment(
            invoice.id, admin, amount=invoice.payable_amount, reference=reference, paid_on=paid_on
        )
    db.session.commit()
    login_as(user=admin)
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert "Belum ada rekening koran bank di aplikasi untuk periode ini" in page
    assert differences() == []

    def d(n: int) -> str:
        return day[n].strftime("%d/%m/%Y")

    short_number = short.document.number
    statement = (
        "Nomor Rekening;0000-0000-0000\n"
        "Nama;Pasar Oleh-Oleh Kaltara\n"
        "\n"
        "Tanggal;Keterangan;Referensi;Debet;Kredit;Saldo\n"
        f"{d(1)};TRF SP2D 0101/SP2D/LS/2026 BPKAD KALTARA;FT01;;"
        f"{rupiah(by_number.payable_amount)},00;0\n"
        f"{d(2)};PEMINDAHBUKUAN KASDA;FT02;;{rupiah(by_amount.payable_amount)};0\n"
        f"{d(2)};PEMBAYARAN {short_number} BIRO UMUM;FT03;;"
        f"{rupiah(short.payable_amount - 15_000)};0\n"
        f"{d(3)};SETORAN TUNAI;FT04;;250.000;0\n"
        f"{d(3)};BULK TRANSFER PENCAIRAN;FT05;1.255.000;;0\n"
        "Saldo Akhir;;;;;0\n"
    )
    response = upload(client, statement)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "5 baris, 5 baru" in page
    assert f"Rekening koran bank mencakup: {day[1].isoformat()}–{day[3].isoformat()}" in page

    expected = sorted(
        [
            ("SP2D-104", "sp2d_not_in_bank", str(missing.payable_amount), ""),
            (
                "SP2D-103",
                "sp2d_amount_differs",
                str(short.payable_amount),
                f"{short.payable_amount - 15_000} ({day[2].isoformat()})",
            ),
            (f"{day[3].isoformat()} FT04", "unknown_bank_credit", "", "250000"),
        ]
    )
    assert differences() == expected
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert (
        '<strong>SP2D-104</strong> · <span data-note="sp2d_not_in_bank">'
        "SP2D tercatat tetapi tidak ada dana masuk di rekening koran bank</span>" in page
    )
    assert "Jumlah SP2D berbeda dengan dana masuk di bank" in page
    assert "Dana masuk di rekening koran bank tidak cocok dengan SP2D yang tercatat" in page
    assert f"bank {short.payable_amount - 15_000} ({day[2].isoformat()})" in page

    result = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert result.exit_code == 1 and "3 difference(s)" in result.output
    assert "SP2D-104: [sp2d_not_in_bank]" in result.output
    assert f"{day[3].isoformat()} FT04: [unknown_bank_credit]" in result.output
    assert "(ledger '', bank '250000')" in result.output

    # The same statement again, and a later one overlapping it, store each line once.
    assert upload(client, statement).status_code == 303
    assert "5 baris, 0 baru" in client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert lines_stored() == 5
    later = (
        "Tanggal;Keterangan;Referensi;Debet;Kredit;Saldo\n"
        f"{d(3)};SETORAN TUNAI;FT04;;250.000;0\n"
        f"{d(3)};TRF SP2D-104;FT06;;{rupiah(missing.payable_amount)};0\n"
    )
    assert upload(client, later).status_code == 303
    assert lines_stored() == 6
    assert [s for s, note, *_ in differences()] == [
        f"{day[3].isoformat()} FT04",
        "SP2D-103",
    ]

    # A file with a bad line is refused whole, each bad row named; nothing is stored.
    statements = db.session.scalar(select(func.count()).select_from(BankStatement))
    bad = (
        "Tanggal;Keterangan;Referensi;Debet;Kredit\n"
        f"{d(3)};SETORAN;FT07;;100.000\n"
        f"{d(3)};SETORAN;FT08;;100.000,50\n"
        "31/02/2026;SETORAN;FT09;;100.000\n"
    )
    response = upload(client, bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Rekening koran tidak diimpor, tidak ada yang disimpan" in page
    assert "Baris 3: jumlah “100.000,50” bukan rupiah utuh." in page
    assert "Baris 4: tanggal “31/02/2026” tidak ada." in page
    assert lines_stored() == 6
    assert db.session.scalar(select(func.count()).select_from(BankStatement)) == statements
    assert upload(client, "bukan,rekening\n1,2\n").status_code == 400
    no_file = client.post("/admin/pencairan/rekening-koran", data={})
    assert no_file.status_code == 400
    assert "Pilih berkas rekening koran" in no_file.get_data(as_text=True)


def test_the_command_imports_a_statement_once(app, tmp_path):
    path = tmp_path / "mutasi.csv"
    path.write_text('Tanggal,Keterangan,Jumlah\n2026-11-10,SETORAN,"1.000.000 CR"\n')
    runner = app.test_cli_runner()
    first = runner.invoke(args=["payouts", "bank-statement", str(path)])
    assert first.exit_code == 0, first.output
    assert "1 line(s), 1 new" in first.output
    again = runner.invoke(args=["payouts", "bank-statement", str(path)])
    assert "1 line(s), 0 new" in again.output
    path.write_text("Tanggal,Keterangan,Jumlah\n2026-11-10,SETORAN,1.000.000\n")
    refused = runner.invoke(args=["payouts", "bank-statement", str(path)])
    assert refused.exit_code == 1 and "Baris 2: jumlah tanpa tanda CR" in refused.output
