"""The platform's bank statement (rekening koran, mutasi rekening), imported from CSV.

An admin downloads the statement of the account treasuries pay invoices into from the
bank's internet banking and uploads it; reconciliation then compares the recorded SP2D
receipts with the bank's credits. The file is read as the common Indonesian exports are
written (README, "Bank statement"):

- a header row naming the columns, after any lines above it (account number, period);
  columns are found by name, in Indonesian or English: the date (``Tanggal``,
  ``Tanggal Transaksi``, ``Tgl``, ``Date``), the description (``Keterangan``, ``Uraian``,
  ``Deskripsi``, ``Description``), the bank's reference (``Referensi``, ``No. Referensi``,
  ``Reference``; optional) and the amount, either as ``Kredit``/``Debet`` (``Credit``/
  ``Debit``) columns or as one ``Jumlah``/``Mutasi``/``Nominal``/``Amount`` column marked
  ``CR``/``DB`` (``K``/``D``, ``KR``/``DR``; in the amount or in a ``D/K``, ``Jenis``,
  ``Type`` column); other columns (balance, branch) are ignored;
- separated by commas, semicolons or tabs; UTF-8 (with or without a BOM) or Windows-1252;
- dates ``2026-12-06``, ``06/12/2026``, ``06-12-2026``, ``06/12/26`` or ``6 Des 2026``;
- amounts in whole rupiah: ``1.500.000`` (dots grouping thousands), ``1,500,000``,
  ``1500000``, with ``Rp``/``IDR`` before and ``,00``/``.00`` after allowed (any other
  sen is refused), read by :func:`marketplace.rupiah.parse_rupiah`;
- blank lines and the summary lines banks put below (``Saldo Awal``, ``Mutasi Kredit``,
  ``Saldo Akhir``, ``Total``) are skipped.

A file with any bad line is refused whole, each bad line named by its row number; a line
already imported (the same day, direction, amount, reference and description, at the same
place among identical lines) is not stored twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.db import DATE_YEARS, db
from marketplace.errors import MarketplaceError
from marketplace.money.models import BankDirection, BankStatement, BankStatementLine
from marketplace.numbers import NumberError
from marketplace.once import create_once, written_once
from marketplace.rupiah import parse_rupiah

#: at most this many bad lines are named in the refusal
MAX_ERRORS_SHOWN = 10
MAX_LINES = 20_000


class StatementError(MarketplaceError):
    """The file cannot be imported (nothing of it is stored); the message names each bad line."""


def _name(text: str) -> str:
    return re.sub(r"[^a-z/]+", " ", text.lower()).strip()


COLUMNS = {
    "date": {"tanggal", "tanggal transaksi", "tgl", "tgl transaksi", "tanggal posting", "date"},
    "description": {"keterangan", "uraian", "uraian transaksi", "deskripsi", "description"},
    "reference": {"referensi", "no referensi", "nomor referensi", "no ref", "ref", "reference"},
    "amount": {"jumlah", "mutasi", "nominal", "amount"},
    "marker": {"d/k", "db/cr", "cr/db", "dk", "jenis", "tipe", "type"},
    "credit": {"kredit", "credit", "cr"},
    "debit": {"debet", "debit", "db"},
}
MARKERS = {
    "CR": BankDirection.CREDIT,
    "KR": BankDirection.CREDIT,
    "K": BankDirection.CREDIT,
    "KREDIT": BankDirection.CREDIT,
    "CREDIT": BankDirection.CREDIT,
    "DB": BankDirection.DEBIT,
    "DR": BankDirection.DEBIT,
    "D": BankDirection.DEBIT,
    "DEBET": BankDirection.DEBIT,
    "DEBIT": BankDirection.DEBIT,
}
SUMMARY = re.compile(r"^(saldo|mutasi|total|jumlah|opening|closing|ending)\b", re.IGNORECASE)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "januari", "january"),
            ("feb", "februari", "february", "peb", "pebruari"),
            ("mar", "maret", "march"),
            ("apr", "april"),
            ("mei", "may"),
            ("jun", "juni", "june"),
            ("jul", "juli", "july"),
            ("agu", "agt", "ags", "agustus", "aug", "august"),
            ("sep", "sept", "september"),
            ("okt", "oktober", "oct", "october"),
            ("nov", "november", "nop", "nopember"),
            ("des", "desember", "dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_NAMED_DATE = re.compile(r"(\d{1,2})[ -]([a-z]+)[ -](\d{4}|\d{2})")
_MARKED = re.compile(r"^(?:(CR|KR|DB|DR|K|D)\s*)?(.*?)(?:\s*(CR|KR|DB|DR|K|D))?$")
_SEN = re.compile(r"^(.*\d)[.,](\d{2})$")
_COMMA_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


@dataclass(frozen=True)
class StatementLine:
    row: int
    booked_on: dt.date
    direction: BankDirection
    amount: int
    description: str
    reference: str


@dataclass(frozen=True)
class ImportOutcome:
    statement_id: int
    lines: int
    new_lines: int
    first_day: dt.date
    last_day: dt.date


class _BadRow(ValueError):
    pass


def parse_date(text: str) -> dt.date:
    cleaned = text.strip().strip("'").lower()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
            booked_on = dt.date.fromisoformat(cleaned)
        elif found := _NUMERIC_DATE.fullmatch(cleaned):
            booked_on = _day(found.group(1), int(found.group(2)), found.group(3))
        elif (found := _NAMED_DATE.fullmatch(cleaned)) and found.group(2) in MONTHS:
            booked_on = _day(found.group(1), MONTHS[found.group(2)], found.group(3))
        else:
            raise _BadRow(_l("tanggal “%(text)s” tidak dikenali (contoh 06/12/2026)", text=text))
    except ValueError as error:
        if isinstance(error, _BadRow):
            raise
        raise _BadRow(_l("tanggal “%(text)s” tidak ada", text=text)) from None
    if booked_on.year not in DATE_YEARS:  # 0001 is a typing mistake, not the year 2001
        raise _BadRow(
            _l(
                "tanggal “%(text)s” di luar tahun %(first)s sampai %(last)s",
                text=text,
                first=DATE_YEARS.start,
                last=DATE_YEARS.stop - 1,
            )
        )
    return booked_on


def _day(day: str, month: int, year: str) -> dt.date:
    """A day whose year is written in two digits (``26``: 2026) or in four, as it is."""
    return dt.date(int(year) + 2000 if len(year) == 2 else int(year), month, int(day))


def parse_amount(text: str) -> tuple[int, BankDirection | None]:
    """An amount in whole rupiah and the CR/DB marker written with it, if any."""
    cleaned = re.sub(r"^(RP|IDR)\.?\s*", "", text.strip().upper())
    found = _MARKED.fullmatch(cleaned)
    assert found is not None  # the pattern takes any text
    before, number, after = found.groups()
    marker = MARKERS.get(before or after or "")
    number = number.strip()
    if number.startswith(("-", "+")):
        marker = marker or (BankDirection.DEBIT if number[0] == "-" else BankDirection.CREDIT)
        number = number[1:].strip()
    if sen := _SEN.fullmatch(number):
        if sen.group(2) != "00":
            raise _BadRow(_l("jumlah “%(text)s” bukan rupiah utuh", text=text))
        number = sen.group(1)
    if _COMMA_GROUPED.fullmatch(number):
        number = number.replace(",", ".")
    try:
        amount = parse_rupiah(number)
    except NumberError:
        raise _BadRow(_l("jumlah “%(text)s” bukan angka rupiah", text=text)) from None
    return amount, marker


def _columns(header: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        for column, names in COLUMNS.items():
            if _name(title) in names and column not in found:
                found[column] = index
    has_amount = "amount" in found or {"credit", "debit"} & found.keys()
    if "date" in found and "description" in found and has_amount:
        return found
    return None


def _line(row: int, cells: list[str], columns: dict[str, int]) -> StatementLine | None:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    if not any(value.strip() for value in cells) or SUMMARY.match(cell("date") or cells[0]):
        return None
    booked_on = parse_date(cell("date"))
    if "amount" in columns:
        amount, direction = parse_amount(cell("amount"))
        if cell("marker"):
            direction = MARKERS.get(cell("marker").upper())
            if direction is None:
                raise _BadRow(_l("jenis “%(text)s” bukan CR atau DB", text=cell("marker")))
        if direction is None:
            raise _BadRow(_l("jumlah tanpa tanda CR (masuk) atau DB (keluar)"))
    else:
        credit = parse_amount(cell("credit"))[0] if cell("credit") else 0
        debit = parse_amount(cell("debit"))[0] if cell("debit") else 0
        if bool(credit) == bool(debit):
            raise _BadRow(_l("isi tepat satu dari kolom kredit dan debet"))
        amount = credit or debit
        direction = BankDirection.CREDIT if credit else BankDirection.DEBIT
    if amount <= 0:
        raise _BadRow(_l("jumlah harus lebih dari nol"))
    description = " ".join(cell("description").split())[:300]
    return StatementLine(row, booked_on, direction, amount, description, cell("reference")[:120])


def _header(text: str) -> tuple[list[list[str]], int, dict[str, int]]:
    """The file's rows, its header's row number and columns, with the first separator
    (comma, semicolon, tab, bar) under which a header row is found."""
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as error:
            raise StatementError(_l("Berkas ini bukan CSV yang bisa dibaca.")) from error
        for number, header in enumerate(rows[:50], start=1):
            if (columns := _columns(header)) is not None:
                return rows, number, columns
    raise StatementError(
        _l(
            "Baris judul kolom tidak ditemukan: perlu kolom Tanggal, Keterangan dan "
            "Kredit/Debet (atau Jumlah dengan CR/DB)."
        )
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_statement(data: bytes) -> list[StatementLine]:
    """Every line of a bank statement file, or StatementError naming the bad ones."""
    text = _decode(data)
    if text.count("\n") > MAX_LINES:
        raise StatementError(_l("Paling banyak %(n)s baris per berkas.", n=MAX_LINES))
    rows, number, columns = _header(text)
    lines: list[StatementLine] = []
    errors: list[str] = []
    for row, cells in enumerate(rows[number:], start=number + 1):
        try:
            if (line := _line(row, cells, columns)) is not None:
                lines.append(line)
        except _BadRow as error:
            errors.append(str(_l("Baris %(row)s: %(reason)s.", row=row, reason=error.args[0])))
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        raise StatementError(
            _l(
                "Rekening koran tidak diimpor, tidak ada yang disimpan: %(rows)s",
                rows=" ".join(shown),
            )
            if len(errors) <= MAX_ERRORS_SHOWN
            else _l(
                "Rekening koran tidak diimpor, tidak ada yang disimpan: %(rows)s "
                "(dan %(n)s baris lain)",
                rows=" ".join(shown),
                n=len(errors) - MAX_ERRORS_SHOWN,
            ),
        )
    if not lines:
        raise StatementError(_l("Rekening koran tidak berisi transaksi."))
    return lines


def line_keys(lines: list[StatementLine]) -> list[str]:
    """Each line's identity: its content and its place among identical lines of the file,
    so that two equal transfers on one day stay two and a file uploaded again adds none."""
    seen: Counter[tuple] = Counter()
    keys = []
    for line in lines:
        content = (
            line.booked_on.isoformat(),
            line.direction.value,
            line.amount,
            line.reference,
            line.description,
        )
        seen[content] += 1
        raw = "|".join(str(part) for part in (*content, seen[content]))
        keys.append(hashlib.sha256(raw.encode()).hexdigest())
    return keys


def import_statement(
    data: bytes, filename: str, uploaded_by_id: int | None, token: str | None = None
) -> ImportOutcome:
    """Store the file's lines not stored before (all or nothing); flushes, never commits.

    From the admin's page, once per form sent (``token``): the same upload sent twice (a
    double tap, a retry) is one statement, and each answer tells what it held. Another
    upload holding the same lines at the same moment is refused whole, to be sent again.
    """
    lines = parse_statement(data)
    keys = line_keys(lines)
    known = set(
        db.session.scalars(
            select(BankStatementLine.line_key).where(BankStatementLine.line_key.in_(keys))
        )
    )
    days = [line.booked_on for line in lines]
    statement = BankStatement(
        filename=filename[:200],
        uploaded_by_id=uploaded_by_id,
        first_day=min(days),
        last_day=max(days),
        line_count=len(lines),
        new_line_count=len(set(keys) - known),
    )
    if token is None:  # not from the page (the command): nothing sent twice
        db.session.add(statement)
        db.session.flush()
    else:
        # the token carries the file's digest (forms.sent_digest): another file chosen on a
        # page reached with Back is another upload, never this one's twin
        statement, created = create_once(statement, token)
        if not created:  # the same upload again: what the first held
            return _outcome(statement)
    with written_once(StatementError(ALSO_BEING_IMPORTED)):
        for line, key in zip(lines, keys, strict=True):
            if key in known:
                continue
            known.add(key)
            db.session.add(
                BankStatementLine(
                    statement_id=statement.id,
                    line_key=key,
                    booked_on=line.booked_on,
                    direction=line.direction.value,
                    amount=line.amount,
                    description=line.description,
                    reference=line.reference,
                )
            )
    return _outcome(statement)


#: another upload holding the same lines was imported at the same moment
ALSO_BEING_IMPORTED = _l(
    "Baris yang sama baru saja diimpor dari unggahan lain. Unggah berkas ini sekali lagi."
)


def _outcome(statement: BankStatement) -> ImportOutcome:
    return ImportOutcome(
        statement.id,
        statement.line_count,
        statement.new_line_count,
        statement.first_day,
        statement.last_day,
    )


def covered_days(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The stretches of ``first``..``last`` that imported statements cover, merged."""
    spans = sorted(
        db.session.execute(
            select(BankStatement.first_day, BankStatement.last_day).where(
                BankStatement.first_day <= last, BankStatement.last_day >= first
            )
        ).all()
    )
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in spans:
        start, end = max(start, first), min(end, last)
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_covered(day: dt.date) -> bool:
    return (
        db.session.scalar(
            select(BankStatement.id)
            .where(BankStatement.first_day <= day, BankStatement.last_day >= day)
            .limit(1)
        )
        is not None
    )


def credits_between(first: dt.date, last: dt.date) -> list[BankStatementLine]:
    """The bank's credits booked ``first``..``last``, oldest first."""
    return list(
        db.session.scalars(
            select(BankStatementLine)
            .where(
                BankStatementLine.direction == BankDirection.CREDIT.value,
                BankStatementLine.booked_on >= first,
                BankStatementLine.booked_on <= last,
            )
            .order_by(BankStatementLine.booked_on, BankStatementLine.id)
        )
    )
