"""The PKK impact report on a phone with JavaScript turned off: charts, print, PDF.

The charts are SVG drawn on the server, each next to the table of its figures, so a
reviewer's phone without JavaScript, a printer and the PDF export all show the same.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.helpers import assert_fits_the_phone, sign_in_as

pytestmark = pytest.mark.e2e

CHART_TITLES = [
    "Rumah tangga aktif per kabupaten/kota",
    "Penjualan per kabupaten/kota",
    "Per bulan",
    "Penjualan per bulan",
]
REGIONS = ["Tarakan", "Bulungan", "Malinau", "Nunukan", "Tana Tidung"]


def test_the_impact_report_shows_its_charts_without_javascript_in_print_and_as_pdf(
    open_phone, accounts
):
    reviewer = accounts.create("reviewer", name="Tim PKK Laporan")
    page = open_phone("reviewer", java_script_enabled=False)
    sign_in_as(page, reviewer)
    page.goto("/pkk/laporan")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Laporan dampak: Provinsi Kalimantan Utara"
    )

    charts = page.locator("svg.chart")
    expect(charts).to_have_count(len(CHART_TITLES))
    for title in CHART_TITLES:
        chart = page.get_by_role("img", name=title, exact=True)
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 100 and box["height"] > 40, (title, box)
    # Each kabupaten/kota has its bar, and the same names head the rows of the table below.
    bars = page.get_by_role("img", name=CHART_TITLES[0], exact=True)
    expect(bars.locator("rect")).to_have_count(len(REGIONS))
    table = page.locator("table").filter(has_text="Kemasan diajukan").first
    expect(table).to_be_visible()
    for name in REGIONS:
        expect(bars.locator("text").filter(has_text=name)).to_have_count(1)
        expect(table.locator("tbody td:first-child").filter(has_text=name)).to_have_count(1)
    assert_fits_the_phone(page)

    # Printed: the filters, links and header go; the charts and tables stay.
    page.emulate_media(media="print")
    for title in CHART_TITLES:
        expect(page.get_by_role("img", name=title, exact=True)).to_be_visible()
    expect(table).to_be_visible()
    expect(page.get_by_role("button", name="Tampilkan")).to_be_hidden()
    expect(page.get_by_role("link", name="Unduh PDF")).to_be_hidden()
    page.emulate_media(media="screen")

    # The PDF export downloads (no script needed), and reads back as the same report.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh PDF").click()
    download = download_info.value
    assert re.fullmatch(r".+\.pdf", download.suggested_filename)
    reader = PdfReader(download.path())
    text = " ".join(page_.extract_text() for page_ in reader.pages)
    text = " ".join(text.split())
    assert "Laporan dampak" in text
    for title in CHART_TITLES:
        assert title in text, title
    for name in REGIONS:
        assert name in text, name
