"""The government documents read as Indonesian official letters: kop, number, Lampiran,
Perihal, the addressee once, the amount in words, the place and WITA date, the signers."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from marketplace.db import WITA, db
from marketplace.institutions import billing, quotes
from marketplace.institutions.models import Document, DocumentKind
from marketplace.institutions.orders import order_of_quote
from marketplace.rupiah import terbilang
from tests import factories

#: page 1 of each document as a picture, to look at (git-ignored with the e2e artifacts)
PICTURES = Path(__file__).resolve().parents[1] / "e2e" / "artifacts" / "letters"


def pdf_text(content: bytes) -> str:
    """The PDF's text, with line breaks inside table cells read as spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def first_page_picture(document: Document) -> Path:
    """Render page 1 of ``document`` to a PNG and return where it went."""
    pdf = pypdfium2.PdfDocument(document.content)
    image = pdf[0].render(scale=1.5).to_pil()
    PICTURES.mkdir(parents=True, exist_ok=True)
    path = PICTURES / f"{document.kind}.png"
    image.save(path)
    return path


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "nol rupiah"),
        (1_000, "seribu rupiah"),
        (11_000, "sebelas ribu rupiah"),
        (21_000, "dua puluh satu ribu rupiah"),
        (101_000, "seratus satu ribu rupiah"),
        (150_000, "seratus lima puluh ribu rupiah"),
        (1_250_000, "satu juta dua ratus lima puluh ribu rupiah"),
        (1_001_000, "satu juta seribu rupiah"),
        (2_001_500, "dua juta seribu lima ratus rupiah"),
        (3_500_000_000, "tiga miliar lima ratus juta rupiah"),
        (5_001_000_000, "lima miliar satu juta rupiah"),
        (1_000_001_000, "satu miliar seribu rupiah"),
        (
            999_999_999_999,
            "sembilan ratus sembilan puluh sembilan miliar sembilan ratus sembilan puluh"
            " sembilan juta sembilan ratus sembilan puluh sembilan ribu sembilan ratus"
            " sembilan puluh sembilan rupiah",
        ),
        (1_000_000_000_000, "satu triliun rupiah"),
    ],
)
def test_terbilang_writes_rupiah_in_indonesian_words(amount, words):
    assert terbilang(amount) == words


def test_terbilang_takes_whole_rupiah_only():
    with pytest.raises(TypeError):
        terbilang(1.5)  # type: ignore[arg-type]


@pytest.fixture
def early_morning(clock):
    """07:30 WITA on 2 December 2026: still 1 December in UTC."""
    clock.set(dt.datetime(2026, 12, 2, 7, 30, tzinfo=WITA).astimezone(dt.UTC))
    return "Tanjung Selor, 2 Desember 2026"


def issued(order, quote) -> dict[str, Document]:
    """The latest document of each kind of a government order and its quote."""
    documents = db.session.scalars(
        select(Document)
        .where((Document.order_id == order.id) | (Document.quote_id == quote.id))
        .order_by(Document.id)
    )
    return {document.kind: document for document in documents}


@pytest.fixture
def letters(early_morning):
    """Every document of a government order of Rp7-odd million, as a treasurer files them."""
    institution = factories.make_institution(name="Sekretariat Daerah Kabupaten Malinau")
    officer = factories.make_officer(institution)
    officer.name = "Yohanes Lawing"
    products = [
        factories.make_product(name="Madu Kelulut Malinau", stock=200, price=150000),
        factories.make_product(name="Amplang Tenggiri", stock=200, price=35000),
    ]
    head = factories.make_officer(institution, can_approve=True)
    head.name = "Drs. Markus Ding"
    quote = factories.make_quote(officer, products, boxes=40)
    quotes.submit_quote(quote.id, officer)
    quotes.approve_quote(quote.id, head)
    order = order_of_quote(quote.id)
    factories.deliver_gov_order(order, officer=officer)
    billing.issue_handover(order.id, officer)
    documents = issued(order, quote)
    return documents, quote, order, head


def test_every_document_carries_the_letter_parts(letters, early_morning):
    documents, quote, order, _head = letters
    assert set(documents) == {kind.value for kind in DocumentKind}
    for kind, document in documents.items():
        text = pdf_text(document.content)
        assert f"Nomor : {document.number}" in text, kind
        assert "Lampiran :" in text and "Perihal :" in text, kind
        assert "Pasar Oleh-Oleh Kaltara" in text, kind
        # The WITA day of issue, never the UTC one (07:30 WITA is 23:30 UTC the day before).
        assert early_morning in text, kind
        assert "1 Desember 2026" not in text and "Diterbitkan" not in text, kind
        assert "00.000.000.0-000.000" not in text, kind


def test_the_quotation_is_a_letter_to_the_head_of_office(letters):
    documents, quote, _order, _head = letters
    text = pdf_text(documents["quotation"].content)
    unit = quote.institution.unit
    assert "SURAT PENAWARAN HARGA" in text
    assert f"Perihal : Penawaran Harga Bingkisan {quote.event_name}" in text
    assert "Lampiran : -" in text
    assert f"Kepada Yth. Kepala {unit}" in text
    assert text.count(unit) == 1  # the addressee once
    assert "Terbilang: " + terbilang(quote.total_amount).capitalize() in text
    assert "Hormat kami, Pasar Oleh-Oleh Kaltara Andi Rahmat Hidayat Pengelola" in text


def test_the_order_letter_is_signed_by_the_head_with_a_nip_line(letters):
    documents, quote, _order, head = letters
    text = pdf_text(documents["order_letter"].content)
    assert "SURAT PESANAN" in text
    assert f"Perihal : Surat Pesanan Bingkisan {quote.event_name}" in text
    assert "Kepada Yth. Pengelola Pasar Oleh-Oleh Kaltara" in text
    assert "Terbilang: " + terbilang(quote.total_amount).capitalize() in text
    unit = quote.institution.unit
    assert f"Yang memesan, {unit} Drs. Markus Ding Kepala {unit} NIP." in text


def test_the_bast_names_both_signers(letters):
    documents, _quote, order, _head = letters
    text = pdf_text(documents["handover"].content)
    assert "BERITA ACARA SERAH TERIMA" in text
    assert "Perihal : Berita Acara Serah Terima Bingkisan" in text
    assert "Pada tanggal 2 Desember 2026" in text
    assert "Pihak Pertama, Pasar Oleh-Oleh Kaltara" in text and "Andi Rahmat Hidayat" in text
    assert "Yohanes Lawing Penerima barang NIP." in text


def test_the_invoice_asks_the_treasurer_in_words(letters):
    documents, quote, order, _head = letters
    invoice = billing.invoice_of(order.id)
    text = pdf_text(documents["invoice"].content)
    unit = quote.institution.unit
    assert "Lampiran : 1 (satu) berkas Berita Acara Serah Terima" in text
    assert f"Perihal : Tagihan Pembayaran Bingkisan {quote.event_name}" in text
    address = quote.institution.address
    assert f"Kepada Yth. Bendahara Pengeluaran {unit} u.p. Bendahara Uji di {address}" in text
    assert text.count(unit) == 1
    assert "Terbilang: " + terbilang(invoice.payable_amount).capitalize() in text
    assert "Hormat kami, Pasar Oleh-Oleh Kaltara Andi Rahmat Hidayat Pengelola" in text


def test_the_kwitansi_writes_the_sum_in_words_and_bears_a_meterai(letters):
    documents, quote, order, _head = letters
    invoice = billing.invoice_of(order.id)
    assert invoice.total_amount > 5_000_000
    text = pdf_text(documents["receipt"].content)
    assert "Uang sejumlah : " + terbilang(invoice.total_amount).capitalize() in text
    assert "Meterai Rp10.000" in text
    assert "Bermaterai Rp10.000: jumlah lebih dari Rp5.000.000" in text


def test_the_surat_jalan_has_room_for_both_signatures(letters):
    documents, quote, _order, _head = letters
    text = pdf_text(documents["delivery_note"].content)
    assert "SURAT JALAN" in text and "Perihal : Pengiriman Bingkisan" in text
    assert f"Kepada Yth. Kepala {quote.institution.unit} di {quote.delivery_place}" in text
    assert "Yang menyerahkan," in text and "Yang menerima," in text


def test_page_one_of_each_document_renders_as_a_picture(letters):
    """Each page 1 is an A4 picture with ink on it; the PNGs are kept to look at."""
    documents, *_ = letters
    for document in documents.values():
        path = first_page_picture(document)
        picture = pypdfium2.PdfDocument(document.content)[0]
        width, height = picture.get_size()
        assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297
        assert path.stat().st_size > 10_000
