"""Reading the bank's statement (mutasi rekening) as Indonesian internet banking exports it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.money.bank_statements import (
    StatementError,
    line_keys,
    parse_amount,
    parse_statement,
)
from marketplace.money.models import BankDirection
from tests import factories

CR, DB = BankDirection.CREDIT, BankDirection.DEBIT


def rows(data: str):
    return [
        (line.row, line.booked_on, line.direction, line.amount, line.description, line.reference)
        for line in parse_statement(data.encode())
    ]


def test_credit_and_debit_columns_with_dots_semicolons_and_the_lines_around():
    statement = (
        "Rekening;0123456789\n"
        "Periode;01/11/2026 - 30/11/2026\n"
        "\n"
        "Tanggal;Keterangan;No. Referensi;Debet;Kredit;Saldo\n"
        "10/11/2026;TRF SP2D 0101/SP2D/LS/2026 BPKAD;FT2611100001;;1.500.000,00;1.500.000\n"
        "11-11-2026;BIAYA ADM;;6.500;;1.493.500\n"
        "Saldo Akhir;;;;;1.493.500\n"
    )
    assert rows(statement) == [
        (
            5,
            dt.date(2026, 11, 10),
            CR,
            1_500_000,
            "TRF SP2D 0101/SP2D/LS/2026 BPKAD",
            "FT2611100001",
        ),
        (6, dt.date(2026, 11, 11), DB, 6_500, "BIAYA ADM", ""),
    ]


def test_one_amount_column_marked_cr_or_db_in_the_english_grouping():
    statement = (
        '"Tanggal Transaksi","Keterangan","Cabang","Jumlah","Saldo"\n'
        '"12/11/26","TRSF E-BANKING CR  SP2D-22","0000","2,250,000.00 CR","3,000,000.00"\n'
        '"6 Des 2026","KR OTOMATIS","0000","DB 50.000","2,950,000.00"\n'
    )
    assert rows(statement) == [
        (2, dt.date(2026, 11, 12), CR, 2_250_000, "TRSF E-BANKING CR SP2D-22", ""),
        (3, dt.date(2026, 12, 6), DB, 50_000, "KR OTOMATIS", ""),
    ]


def test_a_separate_d_k_column_and_iso_dates():
    statement = "date\tdescription\treference\tamount\tD/K\n2026-11-15\tSP2D 7\tR7\tRp 75.000\tK\n"
    assert rows(statement) == [(2, dt.date(2026, 11, 15), CR, 75_000, "SP2D 7", "R7")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.500.000", (1_500_000, None)),
        ("1.500.000,00 CR", (1_500_000, CR)),
        ("1,500,000.00DB", (1_500_000, DB)),
        ("Rp 35.000", (35_000, None)),
        ("-6.500", (6_500, DB)),
        ("IDR 1500000", (1_500_000, None)),
    ],
)
def test_amounts_in_whole_rupiah(text, expected):
    assert parse_amount(text) == expected


def test_a_file_with_bad_lines_is_refused_whole_naming_each_row():
    statement = (
        "Tanggal,Keterangan,Debet,Kredit\n"
        "10/11/2026,SP2D 1,,1.000.000\n"
        "31/11/2026,SP2D 3,,5.000\n"
        "12/11/2026,SP2D 4,5.000,5.000\n"
        "12/11/2026,SP2D 5,,²5\n"
    )
    with pytest.raises(StatementError) as refused:
        parse_statement(statement.encode())
    message = str(refused.value)
    assert "Baris 2" not in message
    assert "Baris 3: tanggal “31/11/2026” tidak ada." in message
    assert "Baris 4: isi tepat satu dari kolom kredit dan debet." in message
    assert "Baris 5: jumlah “²5” bukan angka rupiah." in message
    with pytest.raises(StatementError, match="Baris 2: jumlah “1.000.000,50” bukan rupiah utuh"):
        parse_statement(b'Tanggal,Keterangan,Kredit\n10/11/2026,SP2D,"1.000.000,50"\n')
    with pytest.raises(StatementError, match="Baris 2: jumlah tanpa tanda CR"):
        parse_statement(b"Tanggal,Keterangan,Jumlah\n10/11/2026,SP2D,1000\n")
    with pytest.raises(StatementError, match="Baris judul kolom tidak ditemukan"):
        parse_statement(b"a,b,c\n1,2,3\n")


def test_a_day_outside_the_years_2000_to_2099_is_a_bad_row():
    """``01/01/0001`` was booked on 2001-01-01 and ``31/12/9999`` as written: both typing
    mistakes, each now named; a year in two digits is still this century's."""
    statement = (
        "Tanggal,Keterangan,Kredit\n"
        "01/01/0001,SP2D 1,5.000\n"
        "31/12/9999,SP2D 2,5.000\n"
        "1999-12-31,SP2D 3,5.000\n"
    )
    with pytest.raises(StatementError) as refused:
        parse_statement(statement.encode())
    message = str(refused.value)
    assert "Baris 2: tanggal “01/01/0001” di luar tahun 2000 sampai 2099." in message
    assert "Baris 3: tanggal “31/12/9999” di luar tahun 2000 sampai 2099." in message
    assert "Baris 4: tanggal “1999-12-31” di luar tahun 2000 sampai 2099." in message
    assert rows("Tanggal,Keterangan,Kredit\n06/12/26,SP2D 4,5.000\n")[0][1] == dt.date(2026, 12, 6)


def test_the_same_line_has_the_same_key_and_two_equal_lines_stay_two():
    statement = (
        b"Tanggal;Keterangan;Kredit\n"
        b"10/11/2026;SETORAN;100.000\n"
        b"10/11/2026;SETORAN;100.000\n"
        b"11/11/2026;SETORAN;100.000\n"
    )
    first = line_keys(parse_statement(statement))
    assert len(set(first)) == 3
    # The next month's statement starting on the 11th holds the third line again.
    later = line_keys(parse_statement(b"Tanggal;Keterangan;Kredit\n11/11/2026;SETORAN;100.000\n"))
    assert later == first[2:]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.text(max_size=20), min_size=1, max_size=6).map(";".join),
        max_size=8,
    ),
    st.binary(max_size=64),
)
def test_any_file_is_read_or_refused_with_a_reason(rows, noise):
    header = "Tanggal;Keterangan;Jumlah;D/K"
    for data in ("\n".join([header, *rows]).encode(), noise):
        try:
            lines = parse_statement(data)
        except StatementError as error:
            assert str(error)
        else:
            assert all(line.amount > 0 for line in lines)


def test_another_file_sent_from_a_page_used_before_is_imported_not_taken_for_its_twin(
    client, login_as
):
    """Back to the page of an upload, another file chosen: its token is the first upload's,
    but it is not the same form sent again (``forms.sent_digest``): it is imported, while the
    same file sent again is answered with what the first held."""
    from io import BytesIO

    from sqlalchemy import func, select

    from marketplace.accounts.models import Role
    from marketplace.db import db
    from marketplace.money.models import BankStatement

    login_as(Role.ADMIN)
    token = factories.form_token()
    november = 'Tanggal,Keterangan,Jumlah\n2026-11-10,SETORAN,"1.000.000 CR"\n'
    december = 'Tanggal,Keterangan,Jumlah\n2026-12-01,SETORAN,"2.000.000 CR"\n'

    def upload(text: str, name: str):
        form = {"statement": (BytesIO(text.encode()), name), "idempotency_token": token}
        answer = client.post("/admin/pencairan/rekening-koran", data=form)
        assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]
        return db.session.scalar(select(func.count()).select_from(BankStatement))

    first = upload(november, "november.csv")
    assert upload(november, "november.csv") == first  # the twin: nothing more
    assert upload(december, "desember.csv") == first + 1
