"""Documents and records that match: a replaced household's revised Surat Pesanan, an SP2D
never dated before its BAST, the account an invoice is paid into, and the treasurer's
ageing of open invoices."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import ageing, billing
from marketplace.institutions import orders as gov
from marketplace.institutions import replacements as gov_replacements
from marketplace.institutions.models import Document, DocumentKind
from tests import factories


def pdf_text(content: bytes) -> str:
    """The PDF's text, with line breaks inside table cells read as spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _document(order_id: int, kind: DocumentKind) -> Document:
    return db.session.scalar(
        select(Document)
        .where(Document.order_id == order_id, Document.kind == kind.value)
        .order_by(Document.id.desc())
        .limit(1)
    )


# -- the Surat Pesanan follows a replaced household ---------------------------------------


def test_a_replaced_household_gets_a_revised_surat_pesanan_naming_the_one_it_replaces(
    client, login_as
):
    amplang = factories.make_product(name="Amplang Tenggiri", stock=500, price=35000)
    rotan = factories.make_product(
        name="Tas Rotan Kecil", stock=500, price=150000, category_slug="anyaman"
    )
    seraung = factories.make_product(
        name="Tas Rotan Anyam",
        stock=500,
        price=160000,
        seller=factories.make_seller(shop_name="Anyaman Bu Yanti"),
        category_slug="anyaman",
    )
    order, quote, officer, _head = factories.make_gov_order(products=[amplang, rotan], boxes=10)
    (first,) = [d for d in quote.documents if d.kind == DocumentKind.ORDER_LETTER]
    first_content = first.content
    part = next(p for p in order.parts if p.seller_id == rotan.seller_id)
    gov.decline_part(part.id, part.seller_id, part.seller.user, "Rotan habis bulan ini")
    gov_replacements.replace_part(order.id, part.id, officer, {part.lines[0].id: seraung.id})
    letters = list(
        db.session.scalars(
            select(Document)
            .where(Document.quote_id == quote.id, Document.kind == DocumentKind.ORDER_LETTER)
            .order_by(Document.id)
        )
    )
    assert [d.number for d in letters] == [first.number, f"{first.number}/R1"]
    revised = letters[1]
    assert revised.replaces_id == first.id and revised.order_id == order.id
    assert first.content == first_content  # the first letter stays as it was issued
    text = pdf_text(revised.content)
    assert "SURAT PESANAN (REVISI)" in text
    assert f"menggantikan Surat Pesanan nomor {first.number}" in text
    assert part.shop_name in text and "Rotan habis bulan ini" in text
    assert "digantikan oleh Anyaman Bu Yanti untuk 10 x Tas Rotan Anyam" in text
    # It orders what the order now holds, at the replacement's price, not the quote's lines.
    assert "Tas Rotan Anyam" in text and "Rp160.000" in text and "Rp1.600.000" in text
    assert "Rp1.500.000" not in text
    total = (
        10 * 35000 + 10 * 160000 + quote.card_amount + 2 * setting_shipping(quote)
    )  # two households still ship
    assert f"Rp{total:,}".replace(",", ".") in text
    # A second replacement revises the revision.
    seraung_part = next(p for p in order.parts if p.seller_id == seraung.seller_id)
    gov.decline_part(seraung_part.id, seraung.seller_id, seraung.seller.user, "Sakit")
    other = factories.make_product(
        name="Tas Rotan Besar", stock=500, price=150000, category_slug="anyaman"
    )
    gov_replacements.replace_part(
        order.id, seraung_part.id, officer, {seraung_part.lines[0].id: other.id}
    )
    latest = db.session.scalar(select(Document).where(Document.replaces_id == revised.id))
    assert latest.number == f"{first.number}/R2"
    assert f"Surat Pesanan nomor {first.number}/R1" in pdf_text(latest.content)
    # The officer finds both letters among the order's documents.
    login_as(user=officer)
    page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
    assert f"{first.number}/R1" in page and f"{first.number}/R2" in page


def setting_shipping(quote) -> int:
    """The flat shipping per household the quote was priced with."""
    return quote.shipping_amount // len({line.seller_id for line in quote.lines})


# -- the SP2D and the BAST ------------------------------------------------------------------


def test_an_sp2d_dated_before_the_bast_is_refused_and_what_was_typed_stays(client, login_as):
    _order, _quote, _officer, invoice = factories.make_invoiced_gov_order()
    signed = today_local()
    login_as(Role.ADMIN)
    day_before = (signed - dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"/instansi/admin/tagihan/{invoice.id}",
        data={"amount": "1.000.000", "reference": "SP2D-0042/2026", "paid_on": day_before},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"Tanggal SP2D ({day_before}) tidak boleh sebelum tanggal BAST ({signed})" in page
    assert "SP2D-0042/2026" in page and day_before in page
    db.session.refresh(invoice)
    assert invoice.paid_amount == 0 and invoice.payments == []
    # The day of the BAST itself is fine.
    billing.record_payment(
        invoice.id, None, amount=1_000_000, reference="SP2D-0042/2026", paid_on=signed
    )
    assert invoice.paid_amount == 1_000_000


def test_a_corrected_bast_keeps_the_day_the_goods_were_handed_over(clock):
    order, _quote, officer, invoice = factories.make_invoiced_gov_order()
    signed = today_local()
    clock.move(days=3)
    bast = _document(order.id, DocumentKind.HANDOVER)
    billing.correct_document(order.id, bast.id, officer, "Nama penerima salah ketik")
    assert billing.handover_day(order.id) == signed
    billing.record_payment(
        invoice.id, None, amount=1_000, reference="SP2D-9", paid_on=signed + dt.timedelta(days=1)
    )
    with pytest.raises(billing.PaymentRefused, match="sebelum tanggal BAST"):
        billing.record_payment(
            invoice.id, None, amount=1_000, reference="SP2D-10", paid_on=signed - dt.timedelta(1)
        )


# -- the account to pay into ----------------------------------------------------------------


def test_the_invoice_names_the_account_to_pay_into(app, client, login_as):
    app.config.update(
        INVOICE_BANK_NAME="Bank Kaltimtara Cabang Tanjung Selor",
        INVOICE_BANK_ACCOUNT_NUMBER=7012345678,  # read from the environment as JSON
        INVOICE_BANK_ACCOUNT_HOLDER="PT Pasar Oleh-Oleh Kaltara",
    )
    try:
        order, _quote, officer, invoice = factories.make_invoiced_gov_order()
        text = pdf_text(_document(order.id, DocumentKind.INVOICE).content)
        assert "transfer ke rekening berikut" in text
        assert "Bank : Bank Kaltimtara Cabang Tanjung Selor" in text
        assert "Nomor rekening : 7012345678" in text
        assert "Atas nama : PT Pasar Oleh-Oleh Kaltara" in text
        assert invoice.document.number in text
        login_as(user=officer)
        page = client.get(f"/instansi/pesanan/{order.id}").get_data(as_text=True)
        assert "Bank Kaltimtara Cabang Tanjung Selor, nomor rekening 7012345678" in page
    finally:
        for name in ("INVOICE_BANK_NAME", "INVOICE_BANK_ACCOUNT_NUMBER"):
            del app.config[name]
        del app.config["INVOICE_BANK_ACCOUNT_HOLDER"]


def test_without_settings_the_invoice_shows_the_demo_account():
    order, *_ = factories.make_invoiced_gov_order()
    text = pdf_text(_document(order.id, DocumentKind.INVOICE).content)
    assert "Bankaltimtara" in text and "0000-0000-0000" in text
    assert "Atas nama : Pasar Oleh-Oleh Kaltara" in text


# -- ageing ---------------------------------------------------------------------------------


def _bucket_totals(page: str) -> list[str]:
    ageing = page[page.index('id="ageing"') : page.index("</table>", page.index('id="ageing"'))]
    return re.findall(r'<td class="num">(Rp[0-9.]+)</td>', ageing)


def test_open_invoices_sit_in_their_ageing_buckets_with_totals(clock, client, login_as):
    # Issued on days 0, 50, 94, 95 and 125; read on day 125: 125, 75, 31, 30 and 0 days old.
    start = clock.now
    invoices = []
    for day in (0, 50, 94, 95, 125):
        clock.set(start + dt.timedelta(days=day))
        invoices.append(factories.make_invoiced_gov_order(boxes=5)[3])
    by_age = {
        row.age_days: bucket.label for bucket in ageing.invoice_ageing() for row in bucket.rows
    }
    assert by_age == {125: "90+", 75: "61-90", 31: "31-60", 30: "0-30", 0: "0-30"}
    amounts = [invoice.outstanding_amount for invoice in invoices]
    buckets = {b.label: b.outstanding_amount for b in ageing.invoice_ageing()}
    assert buckets == {
        "0-30": amounts[3] + amounts[4],
        "31-60": amounts[2],
        "61-90": amounts[1],
        "90+": amounts[0],
    }
    # A part payment leaves only what is still owed in its bucket.
    oldest = invoices[0]
    billing.record_payment(oldest.id, None, amount=1_000, reference="SP2D-1", paid_on=today_local())
    login_as(Role.ADMIN)
    page = client.get("/instansi/admin/tagihan").get_data(as_text=True)
    for label in ("0-30 hari", "31-60 hari", "61-90 hari", "90+ hari"):
        assert label in page
    rupiah = [f"Rp{amount:,}".replace(",", ".") for amount in amounts]
    assert _bucket_totals(page) == [
        f"Rp{amounts[3] + amounts[4]:,}".replace(",", "."),
        rupiah[2],
        rupiah[1],
        f"Rp{amounts[0] - 1_000:,}".replace(",", "."),
        f"Rp{sum(amounts) - 1_000:,}".replace(",", "."),
    ]
    assert "Jumlah 90+ hari" in page and "125 hari" in page


def test_no_open_invoice_shows_empty_buckets(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/instansi/admin/tagihan").get_data(as_text=True)
    assert _bucket_totals(page) == ["Rp0"] * 5
    assert "Tidak ada tagihan terbuka." in page
