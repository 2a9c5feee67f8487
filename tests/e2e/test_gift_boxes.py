"""A gift box order in Chromium: the officer builds it, the head of office approves it,
both download its documents.

The demo protocol office of the suite's database (Biro Umum Setda Provinsi Kalimantan
Utara) with its officer and approver. What the journey writes (the quote, its lines,
capacity holds, events and documents) is committed by gunicorn; it is deleted at the end
and the document counters are put back as they were, so the next quote gets the same
number as without the journey.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from marketplace.catalog.models import Product
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.demo_data import DEMO_PASSWORD
from marketplace.institutions.models import (
    Document,
    DocumentCounter,
    GovInvoice,
    GovPart,
    Quote,
    QuoteEvent,
    QuoteLine,
    ReceivedLine,
)
from marketplace.inventory.models import CapacityHold
from marketplace.money.models import LedgerEntry
from marketplace.orders.models import Order, OrderEvent, OrderLine, OrderPart
from tests.cleanup import forget_ledger_entries
from tests.e2e.helpers import PHONE_WIDTH, assert_fits_the_phone, go_to, sign_in

pytestmark = pytest.mark.e2e

OFFICER = "protokol@demo.id"
APPROVER = "kepala.biro@demo.id"
APPROVER_NAME = "Kepala Biro Umum (demo)"


@pytest.fixture
def event_name(app) -> Iterator[str]:
    """A name no other quote has; the quotes under it are deleted after the journey."""
    name = f"Kunjungan Kerja Uji Peramban {secrets.token_hex(3)}"
    with app.app_context(), Session(db.engine) as session:
        counters = {c.id: c.last_number for c in session.scalars(select(DocumentCounter))}
    yield name
    with app.app_context(), Session(db.engine) as session:
        quotes = select(Quote.id).where(Quote.event_name == name)
        orders = select(Order.id).where(Order.quote_id.in_(quotes))
        parts = select(OrderPart.id).where(OrderPart.order_id.in_(orders))
        # The approval took goods from stock: give them back.
        for line in session.scalars(select(OrderLine).where(OrderLine.part_id.in_(parts))):
            session.execute(
                update(Product)
                .where(Product.id == line.product_id, Product.is_made_to_order.is_(False))
                .values(stock=Product.stock + line.quantity)
            )
        forget_ledger_entries(session, LedgerEntry.order_part_id.in_(parts))
        for statement in (
            delete(ReceivedLine).where(ReceivedLine.part_id.in_(parts)),
            delete(GovInvoice).where(GovInvoice.order_id.in_(orders)),
            delete(Document).where(Document.order_id.in_(orders)),
            delete(GovPart).where(GovPart.order_id.in_(orders)),
            delete(OrderEvent).where(OrderEvent.order_id.in_(orders)),
            delete(OrderLine).where(OrderLine.part_id.in_(parts)),
            delete(OrderPart).where(OrderPart.order_id.in_(orders)),
            delete(Order).where(Order.id.in_(orders)),
            delete(Document).where(Document.quote_id.in_(quotes)),
            delete(CapacityHold).where(CapacityHold.quote_id.in_(quotes)),
            delete(QuoteEvent).where(QuoteEvent.quote_id.in_(quotes)),
            delete(QuoteLine).where(QuoteLine.quote_id.in_(quotes)),
            delete(Quote).where(Quote.event_name == name),
            delete(DocumentCounter).where(DocumentCounter.id.not_in(counters)),
        ):
            session.execute(statement)
        for counter_id, last_number in counters.items():
            session.execute(
                update(DocumentCounter)
                .where(DocumentCounter.id == counter_id)
                .values(last_number=last_number)
            )
        session.commit()


def signed_in_phone(open_phone, actor: str, email: str) -> Page:
    page = open_phone(actor)
    page.goto("/")
    sign_in(page, email, DEMO_PASSWORD)
    go_to(page, "Protokol")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Biro Umum Setda Provinsi Kalimantan Utara"
    )
    return page


def choose_products_of_two_households(page: Page) -> list[str]:
    """On the builder: the first product of two different shops, 1 and 2 per box."""
    # each household's products are listed under its name
    groups = page.get_by_label("Produk 1", exact=True).locator("optgroup")
    labels = [groups.nth(n).locator("option").first.inner_text() for n in (0, 1)]
    for row, (label, per_box) in enumerate(zip(labels, ("1", "2"), strict=True), start=1):
        page.get_by_label(f"Produk {row}", exact=True).select_option(label=label)
        page.get_by_label(f"Jumlah per bingkisan {row}", exact=True).fill(per_box)
    return [label.split(" · ")[0] for label in labels]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


HOUSEHOLD = "penjual@demo.id"
HOUSEHOLD_SHOP = "Amplang Bu Siti"


def build_and_submit(officer: Page, event_name: str, boxes: str, shop: str) -> str:
    """A box of the first product of ``shop``, submitted; returns the quote's number."""
    officer.get_by_role("link", name="Susun bingkisan baru").click()
    officer.get_by_label("Nama acara").fill(event_name)
    officer.get_by_label("Jumlah bingkisan").fill(boxes)
    products = officer.get_by_label("Produk 1", exact=True).locator(f'optgroup[label="{shop}"]')
    label = products.locator("option").first.inner_text()
    officer.get_by_label("Produk 1", exact=True).select_option(label=label)
    officer.get_by_label("Jumlah per bingkisan 1", exact=True).fill("1")
    delivery = today_local() + dt.timedelta(days=21)
    officer.get_by_label("Tanggal pengantaran").fill(delivery.isoformat())
    officer.get_by_label("Alamat pengantaran").fill("Hotel Crown, Tarakan")
    officer.get_by_label("Kode anggaran (MAK)").fill("5.1.02.01.01.0026")
    officer.get_by_role("button", name="Simpan dan periksa ketersediaan").click()
    officer.get_by_role("button", name="Ajukan untuk disetujui").click()
    heading = officer.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Penawaran PNW/\d{4}/\d{4}$"))
    return heading.inner_text().removeprefix("Penawaran ").strip()


def test_officer_builds_a_gift_box_the_head_approves_documents_download(open_phone, event_name):
    officer = signed_in_phone(open_phone, "officer", OFFICER)

    # The officer puts together five boxes from two households and saves a draft.
    officer.get_by_role("link", name="Susun bingkisan baru").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Susun bingkisan")
    officer.get_by_label("Nama acara").fill(event_name)
    officer.get_by_label("Jumlah bingkisan").fill("5")
    products = choose_products_of_two_households(officer)
    officer.get_by_label("Teks kartu ucapan").fill("Selamat datang di Bumi Benuanta")
    # Three rows to start with; one more comes back with everything typed, nothing saved.
    expect(officer.get_by_label("Produk 4", exact=True)).to_have_count(0)
    officer.get_by_role("button", name="Tambah baris").click()
    expect(officer.get_by_label("Produk 4", exact=True)).to_be_visible()
    expect(officer.get_by_label("Nama acara")).to_have_value(event_name)
    expect(officer.get_by_label("Jumlah per bingkisan 2", exact=True)).to_have_value("2")
    expect(officer.get_by_label("Teks kartu ucapan")).to_have_value(
        "Selamat datang di Bumi Benuanta"
    )
    delivery = today_local() + dt.timedelta(days=21)
    officer.get_by_label("Tanggal pengantaran").fill(delivery.isoformat())
    officer.get_by_label("Jam pengantaran").fill("10.00 WITA")
    officer.get_by_label("Alamat pengantaran").fill("Pendopo Gubernur, Tanjung Selor")
    officer.get_by_label("Kode anggaran (MAK)").fill("5.1.02.01.01.0026")
    officer.get_by_role("button", name="Simpan dan periksa ketersediaan").click()
    expect(officer.get_by_role("status")).to_have_text("Bingkisan disimpan sebagai draf penawaran.")
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Draf #")
    expect(officer.locator("main .badge")).to_have_text("Draf")
    for name in products:
        expect(officer.locator("main table")).to_contain_text(name)

    # Submitted, the quote gets its number and its quotation.
    officer.get_by_role("button", name="Ajukan untuk disetujui").click()
    expect(officer.get_by_role("status")).to_have_text("Penawaran diajukan untuk disetujui.")
    heading = officer.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Penawaran PNW/\d{4}/\d{4}$"))
    number = heading.inner_text().removeprefix("Penawaran ").strip()
    expect(officer.locator("main .badge")).to_have_text("Menunggu persetujuan")
    expect(officer.get_by_role("button", name="Setujui")).to_have_count(0)

    # The head of office finds it on the dashboard and approves it.
    head = signed_in_phone(open_phone, "approver", APPROVER)
    row = head.locator("main tbody tr").filter(has_text=number)
    expect(row).to_contain_text(event_name)
    expect(row).to_contain_text("Menunggu persetujuan")
    row.get_by_role("link", name=number).click()
    expect(head.get_by_role("heading", level=1)).to_have_text(f"Penawaran {number}")
    head.get_by_role("button", name="Setujui").click()
    expect(head.get_by_role("status")).to_have_text("Penawaran disetujui.")
    # Approval places the order with the households at once.
    expect(head.locator("main .badge")).to_have_text("Dipesan")
    approval = head.locator(".timeline li").filter(has_text="Menunggu persetujuan → Disetujui")
    expect(approval).to_contain_text(APPROVER_NAME)
    expect(head.locator(".timeline li").last).to_contain_text("Disetujui → Dipesan")
    expect(head.get_by_role("link", name=re.compile(r"^Lihat pesanan PSR-\d{6}$"))).to_be_visible()

    # The officer sees the approval and downloads both documents.
    officer.reload()
    expect(officer.locator("main .badge")).to_have_text("Dipesan")
    quotation = officer.get_by_role("link", name=f"Surat penawaran {number} (PDF)", exact=True)
    order_letter = officer.locator("main a", has_text="Surat pesanan SP/")
    expect(order_letter).to_have_count(1)
    with officer.expect_download() as download:
        quotation.click()
    assert download.value.suggested_filename == number.replace("/", "-") + ".pdf"
    assert number in pdf_text(download.value.path().read_bytes())
    for link in (quotation, order_letter):
        response = officer.request.get(link.get_attribute("href"))
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert number in pdf_text(response.body())


def test_a_household_delivers_and_the_officer_signs_the_bast_and_takes_the_spj(
    open_phone, event_name
):
    officer = signed_in_phone(open_phone, "officer", OFFICER)
    number = build_and_submit(officer, event_name, "3", HOUSEHOLD_SHOP)
    head = signed_in_phone(open_phone, "approver", APPROVER)
    head.locator("main tbody tr").filter(has_text=number).get_by_role("link", name=number).click()
    head.get_by_role("button", name="Setujui").click()
    order_link = head.get_by_role("link", name=re.compile(r"^Lihat pesanan PSR-\d{6}$"))
    order_number = order_link.inner_text().removeprefix("Lihat pesanan ").strip()

    # The household finds the order in its inbox and answers from its phone.
    household = open_phone("household")
    household.goto("/")
    sign_in(household, HOUSEHOLD, DEMO_PASSWORD)
    household.goto("/penjual/pesanan")
    household.get_by_role("link", name=order_number).click()
    expect(household.locator("main")).to_contain_text("Konfirmasi paling lambat")
    for button, message in (
        ("Konfirmasi, saya sanggup", "Pesanan instansi dikonfirmasi."),
        ("Tandai sudah dibuat", "Ditandai sudah dibuat."),
        ("Tandai sudah dikemas", "Ditandai sudah dikemas; surat jalan terbit."),
        ("Tandai sudah diantar", "Ditandai sudah diantar."),
    ):
        household.get_by_role("button", name=button).click()
        expect(household.get_by_role("status")).to_have_text(message)
    expect(household.locator("main .order-status")).to_have_text("Sampai di pembeli")

    # The officer follows the order, counts one box short, and signs the BAST.
    officer.reload()
    officer.get_by_role("link", name=f"Lihat pesanan {order_number}").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(f"Pesanan {order_number}")
    expect(officer.locator("main section.card")).to_contain_text("Sudah diantar")
    officer.get_by_label(re.compile(r"^Diterima: .* \(dipesan 3\)$")).fill("2")
    officer.get_by_role("button", name="Catat barang yang diterima").click()
    expect(officer.get_by_role("status")).to_have_text("Penerimaan barang dicatat.")
    expect(officer.locator("main section.card")).to_contain_text("kurang 1")
    officer.get_by_role("button", name="Terbitkan BAST, tagihan dan kwitansi").click()
    expect(officer.get_by_role("status")).to_have_text("BAST, tagihan dan kwitansi terbit.")
    expect(officer.locator(".timeline")).to_contain_text("Diterima staf")

    # The whole set for the SPJ, in one ZIP.
    link = officer.get_by_role("link", name="Unduh semua untuk SPJ (ZIP)")
    response = officer.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.body()))
    names = archive.namelist()
    for prefix in ("PNW-", "SP-", "SJ-", "BAST-", "INV-", "KW-"):
        assert any(name.startswith(prefix) for name in names), (prefix, names)
    bast = pdf_text(archive.read(next(n for n in names if n.startswith("BAST-"))))
    assert "BERITA ACARA SERAH TERIMA" in bast and HOUSEHOLD_SHOP in bast


def _within_the_phone(locator) -> None:
    """``locator`` shows whole on a 360 px phone, measured once its page and stylesheet have
    loaded (as ``assert_fits_the_phone``): a page just followed to may be laid out before
    its cached stylesheet applies, a table not yet stacked into cards."""
    expect(locator).to_be_visible()
    locator.page.wait_for_load_state("load")
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, (locator, box)


def test_composing_shows_supply_and_every_shortfall_and_the_figures_fit_a_phone(
    open_phone, event_name
):
    officer = signed_in_phone(open_phone, "officer", OFFICER)
    officer.get_by_role("link", name="Susun bingkisan baru").click()
    officer.get_by_label("Nama acara").fill(event_name)
    officer.get_by_label("Jumlah bingkisan").fill("4000")
    products = choose_products_of_two_households(officer)
    delivery = today_local() + dt.timedelta(days=21)
    officer.get_by_label("Tanggal pengantaran").fill(delivery.isoformat())
    officer.get_by_label("Alamat pengantaran").fill("Pendopo Gubernur, Tanjung Selor")
    officer.get_by_label("Kode anggaran (MAK)").fill("5.1.02.01.01.0026")

    # Far more boxes than two households can make: both shortfalls are named at once.
    officer.get_by_role("button", name="Periksa ketersediaan", exact=True).click()
    shortfalls = officer.locator("section.shortfalls")
    expect(shortfalls.get_by_role("heading")).to_have_text(
        re.compile(r"^2 produk belum cukup untuk ")
    )
    for name in products:
        expect(shortfalls).to_contain_text(name)
    expect(officer.locator(".box-line .supply.misfit")).to_have_count(2)
    # Every product of the list says what it can supply by the date.
    options = officer.get_by_label("Produk 1", exact=True).locator("option").all_inner_texts()
    assert all(re.search(r" · (bisa \d+|tidak sempat)$", o) for o in options[1:]), options
    # Nothing was saved, and what was typed is still there.
    expect(officer.get_by_label("Nama acara")).to_have_value(event_name)
    assert_fits_the_phone(officer)

    officer.get_by_label("Jumlah bingkisan").fill("3")
    officer.get_by_role("button", name="Periksa ketersediaan", exact=True).click()
    expect(shortfalls).to_have_count(0)
    expect(officer.locator(".box-line .supply.fits")).to_have_count(2)
    officer.get_by_role("button", name="Simpan dan periksa ketersediaan").click()
    expect(officer.get_by_role("status")).to_have_text("Bingkisan disimpan sebagai draf penawaran.")

    # On a 360 px phone the quote's subtotals and total show without sideways scrolling.
    for subtotal in officer.locator('main td[data-label="Subtotal"]').all():
        _within_the_phone(subtotal)
    _within_the_phone(officer.locator("main tfoot tr.total"))
    expect(officer.locator("main tfoot tr.total")).to_contain_text(re.compile(r"Total\s*Rp[\d.]+"))
    assert_fits_the_phone(officer)

    go_to(officer, "Protokol")
    row = officer.locator("main tbody tr").filter(has_text=event_name)
    _within_the_phone(row.locator('td[data-label="Status"]'))
    expect(row.locator('td[data-label="Status"]')).to_contain_text("Draf")
    _within_the_phone(row.locator('td[data-label="Total"]'))
    assert_fits_the_phone(officer)
