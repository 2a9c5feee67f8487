"""Document numbers under concurrency, and quotation PDFs read back as text."""

from __future__ import annotations

import hashlib
import io
import threading

import pytest
from pypdf import PdfReader
from sqlalchemy import delete
from sqlalchemy.orm import Session

from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import quotes
from marketplace.institutions.documents import allocate_number
from marketplace.institutions.models import DocumentCounter
from tests import factories


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_numbers_run_per_kind_and_year():
    assert [allocate_number("UJI", 2031) for _ in range(3)] == [1, 2, 3]
    assert allocate_number("UJI", 2032) == 1
    assert allocate_number("LAIN", 2031) == 1


def test_documents_issued_at_once_never_share_a_number(app):
    """Threads on their own connections, released together, each committing for real."""
    kind, year, threads, each = "PARALEL", 2099, 4, 3
    barrier = threading.Barrier(threads)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            with app.app_context(), db.engine.connect() as connection:
                barrier.wait()
                for _ in range(each):
                    with Session(bind=connection) as session:
                        numbers.append(allocate_number(kind, year, session))
                        session.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)

    workers = [threading.Thread(target=issue) for _ in range(threads)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert errors == []
        assert sorted(numbers) == list(range(1, threads * each + 1))
    finally:
        with db.engine.begin() as connection:
            connection.execute(delete(DocumentCounter).where(DocumentCounter.kind == kind))


def test_submitting_issues_the_quotation_pdf_in_indonesian():
    institution = factories.make_institution(name="Dinas Pariwisata Kabupaten Malinau")
    officer = factories.make_officer(institution)
    madu = factories.make_product(name="Madu Kelulut Malinau", stock=100, price=150000)
    amplang = factories.make_product(name="Amplang Tenggiri", stock=100, price=35000)
    quote = factories.make_quote(officer, [madu, amplang], boxes=20)
    quotes.submit_quote(quote.id, officer)
    (document,) = quote.documents
    assert document.number == quote.number == f"PNW/{today_local().year}/" + quote.number[-4:]
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()
    text = pdf_text(document.content)
    for expected in (
        "SURAT PENAWARAN HARGA",
        quote.number,
        "Dinas Pariwisata Kabupaten Malinau",
        institution.unit,
        "NPWP 01.234.567.8-727.000",
        "Pasar Oleh-Oleh Kaltara",
        "Madu Kelulut Malinau",
        "Amplang Tenggiri",
        "Rp150.000",
        "Rp3.000.000",  # 20 x 150.000
        "5.1.02.01.01.0026",
        "PPh 22",
        "Bendahara Uji",
    ):
        assert expected in text, expected


def test_a_resubmitted_quote_gets_a_revision_that_replaces_the_first(db_session):
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    first = quote.documents[0]
    content = first.content
    quotes.return_quote(quote.id, head, "Ubah jumlah")
    quotes.submit_quote(quote.id, officer)
    db.session.refresh(quote)
    assert [d.number for d in quote.documents] == [quote.number, f"{quote.number}/R1"]
    second = quote.documents[1]
    assert second.replaces_id == first.id and first.content == content
    assert f"Menggantikan penawaran nomor {quote.number}" in pdf_text(second.content)


def test_approval_issues_the_order_letter():
    institution = factories.make_institution(name="Biro Umum Setda Kabupaten Bulungan")
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    head.name = "Drs. Kepala Biro"
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    quotes.approve_quote(quote.id, head)
    with pytest.raises(quotes.QuoteMoved, match="sudah disetujui"):
        quotes.approve_quote(quote.id, head)  # a second click is told, and issues nothing
    kinds = [d.kind for d in quote.documents]
    assert kinds == ["quotation", "order_letter"]
    letter = quote.documents[1]
    assert letter.number.startswith(f"SP/{today_local().year}/")
    text = pdf_text(letter.content)
    for expected in (
        "SURAT PESANAN",
        letter.number,
        f"nomor {quote.number}",
        "BIRO UMUM SETDA KABUPATEN BULUNGAN",  # the kop, in capitals
        "Drs. Kepala Biro",
        "Pasar Oleh-Oleh Kaltara",
    ):
        assert expected in text, expected


def test_an_issued_document_cannot_be_changed():
    officer = factories.make_officer()
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    document = quote.documents[0]
    document.content = b"%PDF-forged"
    with pytest.raises(ValueError, match="cannot change"):
        db.session.flush()
    db.session.rollback()
