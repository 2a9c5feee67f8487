"""The impact report against figures computed by hand on a small fixed data set.

The demo catalogue was made "now" (late 2026); the data set here lives in the first half
of 2025, so the demo rows fall outside the period and every figure below is exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.db import db
from marketplace.pkk import periods, report
from tests import factories

START, END = dt.date(2025, 1, 1), dt.date(2025, 6, 30)
PERIOD = "start=2025-01-01&end=2025-06-30"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def _household(region: str, opened: str, name: str):
    seller = factories.make_seller(region_slug=region, shop_name=name)
    seller.created_at = at(opened)
    return seller


def _reviewed(seller, moves: list[tuple[str, str, str]], status=ProductStatus.PUBLISHED):
    product = factories.make_product(seller=seller, status=status)
    product.published_at = None
    for from_status, to_status, day in moves:
        factories.make_status_change(product, from_status, to_status, at(day))
        if to_status == "published" and product.published_at is None:
            product.published_at = at(day)
    db.session.flush()
    return product


@pytest.fixture
def households():
    """Five households; the figures each test expects are worked out in its docstring."""
    a = _household("malinau", "2025-02-10", "Anyaman A")
    b = _household("malinau", "2024-12-01", "Rotan B")
    c = _household("tarakan", "2025-04-01", "Amplang C")
    d = _household("malinau", "2025-05-01", "Manik D")
    e = _household("malinau", "2024-11-01", "Tenun E")
    # A: approved first time after 2 days.
    _reviewed(
        a,
        [("draft", "pending_review", "2025-02-11"), ("pending_review", "published", "2025-02-13")],
    )
    # B: sent back after 4 days, resubmitted, approved after 1 day.
    _reviewed(
        b,
        [
            ("draft", "pending_review", "2025-03-01"),
            ("pending_review", "changes_requested", "2025-03-05"),
            ("changes_requested", "pending_review", "2025-03-06"),
            ("pending_review", "published", "2025-03-07"),
        ],
    )
    # C: approved first time after 3 days.
    p3 = _reviewed(
        c,
        [("draft", "pending_review", "2025-04-02"), ("pending_review", "published", "2025-04-05")],
    )
    # D: a draft, never submitted.
    factories.make_product(seller=d, status=ProductStatus.DRAFT)
    # E: approved first time after 3 days, in January.
    p5 = _reviewed(
        e,
        [("draft", "pending_review", "2025-01-02"), ("pending_review", "published", "2025-01-05")],
    )
    # Help: training for A and C, capital for B, packaging help for E (after its approval).
    factories.make_training([a, c], held_on=dt.date(2025, 1, 20))
    factories.make_capital_assistance(b, given_on=dt.date(2025, 3, 3), value_amount=3_500_000)
    factories.make_packaging_help(p5, given_on=dt.date(2025, 2, 1))
    # Outside the period: counted nowhere.
    factories.make_packaging_help(p3, given_on=dt.date(2025, 8, 1))
    db.session.flush()
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_province_figures_match_the_hand_count(households):
    """Active A B C E = 4; new A C D = 3; first approvals P1 P2 P3 P5 = 4; submissions
    1 + 2 + 1 + 1 = 5; waits 2, 4, 1, 3, 3 days: median 3; first verdicts 4, of which
    approvals 3 (B was sent back first)."""
    impact = report.impact_report(periods.Period(START, END))
    assert impact.active_households == 4
    assert impact.new_households == 3
    assert impact.products_published == 4
    assert impact.reviews == report.ReviewFigures(
        submitted=5, verdicts=5, approved_first_time=3, first_verdicts=4, median_days_to_verdict=3
    )
    by_region = {r.name: r for r in impact.regions}
    assert (
        by_region["Malinau"].active_households,
        by_region["Tarakan"].active_households,
    ) == (3, 1)
    assert (
        by_region["Malinau"].new_households,
        by_region["Tarakan"].new_households,
    ) == (2, 1)
    assert by_region["Bulungan"].active_households == 0
    months = {
        m.month.month: (m.new_households, m.products_published, m.reviews_submitted)
        for m in impact.months
    }
    assert months == {
        1: (0, 1, 1),
        2: (1, 1, 1),
        3: (0, 1, 2),
        4: (1, 1, 1),
        5: (1, 0, 0),
        6: (0, 0, 0),
    }


def test_one_kabupaten_counts_only_its_households(households):
    """Malinau: active A B E; new A D; approvals P1 P2 P5; submissions 4; waits 2, 4, 1, 3:
    median 2.5; first verdicts 3, approved first time 2."""
    malinau = factories.region("malinau")
    impact = report.impact_report(periods.Period(START, END, malinau.id))
    assert [r.name for r in impact.regions] == ["Malinau"]
    assert (impact.active_households, impact.new_households, impact.products_published) == (3, 2, 3)
    assert impact.reviews == report.ReviewFigures(
        submitted=4, verdicts=4, approved_first_time=2, first_verdicts=3, median_days_to_verdict=2.5
    )
    assert {h.shop_name for h in impact.assisted} == {"Anyaman A", "Rotan B", "Tenun E"}


@pytest.fixture
def sales(households, payment_gateway):
    """Orders of the households, paid on fixed days (revenue: goods, not shipping).

    A (Malinau): a basket 150,000 paid 20 Feb; two baskets 300,000 paid 10 Apr from a
        government quotation, both received and billed; one basket paid 2 May whose part
        was then cancelled.
    B (Malinau): two of its product 2 × 25,000 = 50,000 paid 10 Feb; 4 × 25,000 = 100,000
        paid 5 May.
    C (Tarakan): amplang 4 × 35,000 = 140,000 paid 15 Apr; 2 × 35,000 = 70,000 paid
        31 Mar at 20:00 UTC, which is 1 Apr 04:00 in WITA; one paid 5 Jul, after the period.
    """
    from marketplace.institutions.models import ReceivedLine
    from marketplace.orders.lifecycle import cancel_part_for_buyer

    a, b, c = households["a"], households["b"], households["c"]
    basket = factories.make_product(seller=a, price=150_000, stock=50)
    b_product = factories.make_product(seller=b, price=25_000, stock=50)
    amplang = factories.make_product(seller=c, category_slug="camilan", price=35_000, stock=50)
    quote = factories.make_quote()

    def sale(product, quantity, paid_at, quote_id=None):
        order = factories.make_paid_order((product, quantity), gateway=payment_gateway)
        order.paid_at = paid_at
        order.quote_id = quote_id
        db.session.flush()
        return order

    sale(basket, 1, at("2025-02-20"))
    government = sale(basket, 2, at("2025-04-10"), quote_id=quote.id)
    for line in government.parts[0].lines:
        db.session.add(
            ReceivedLine(order_line_id=line.id, part_id=line.part_id, quantity_received=2)
        )
    cancelled = sale(basket, 1, at("2025-05-02"))
    cancel_part_for_buyer(cancelled.id, cancelled.parts[0].id, actor_id=None)
    sale(b_product, 2, at("2025-02-10"))
    sale(b_product, 4, at("2025-05-05"))
    sale(amplang, 4, at("2025-04-15"))
    sale(amplang, 2, at("2025-03-31", 20))
    sale(amplang, 1, at("2025-07-05"))
    db.session.flush()
    return households


def test_revenue_matches_the_hand_count(sales):
    """Feb 150,000 + 50,000 = 200,000; Apr 300,000 + 140,000 + 70,000 = 510,000; May
    100,000 (the cancelled part and July count nowhere): 810,000 in all. Malinau 150,000 +
    300,000 + 50,000 + 100,000 = 600,000; Tarakan 210,000. Anyaman Rotan 600,000, Camilan
    210,000. Government 300,000: 300 / 810 = 37.04 %, shown as 37.0."""
    impact = report.impact_report(periods.Period(START, END))
    assert impact.revenue_amount == 810_000
    assert {m.month.month: m.revenue_amount for m in impact.months} == {
        1: 0,
        2: 200_000,
        3: 0,
        4: 510_000,
        5: 100_000,
        6: 0,
    }
    by_region = {r.name: r.revenue_amount for r in impact.regions}
    assert (by_region["Malinau"], by_region["Tarakan"], by_region["Bulungan"]) == (
        600_000,
        210_000,
        0,
    )
    assert impact.revenue_by_category == {"Anyaman Rotan": 600_000, "Camilan & Kerupuk": 210_000}
    assert impact.government_revenue_amount == 300_000
    assert impact.government_share_percent == 37.0


def test_one_kabupaten_revenue(sales):
    """Tarakan: C only, 210,000, all in April, none from government orders."""
    tarakan = factories.region("tarakan")
    impact = report.impact_report(periods.Period(START, END, tarakan.id))
    assert impact.revenue_amount == 210_000
    assert impact.government_revenue_amount == 0 and impact.government_share_percent == 0.0
    assert [h.shop_name for h in impact.assisted] == ["Amplang C"]
    assert impact.assisted[0].after == [0, 0, 210_000]


def test_assisted_households_revenue_before_and_after(sales):
    """Three whole months before and after the month of the first help (that month left out).

    A: training 20 Jan; before Oct-Dec 0; after Feb 150,000, Mar 0, Apr 300,000: mean 150,000.
    B: capital 3 Mar; before Dec 0, Jan 0, Feb 50,000: mean 16,667; after Apr 0, May 100,000,
       Jun 0: mean 33,333.
    C: training 20 Jan; after Feb 0, Mar 0, Apr 210,000 (31 Mar 20:00 UTC is April): 70,000.
    E: packaging 1 Feb; nothing sold: 0 and 0.
    Per month, mean of the four: -3 0, -2 0, -1 12,500; +1 37,500, +2 25,000, +3 127,500.
    Together, a month: before 16,667; after 150,000 + 33,333 + 70,000 = 253,333."""
    impact = report.impact_report(periods.Period(START, END))
    rows = {
        h.shop_name: (h.first_assisted_on, h.kinds, h.capital_amount, h.before, h.after)
        for h in impact.assisted
    }
    assert rows == {
        "Anyaman A": (dt.date(2025, 1, 20), ["training"], 0, [0, 0, 0], [150_000, 0, 300_000]),
        "Rotan B": (dt.date(2025, 3, 3), ["capital"], 3_500_000, [0, 0, 50_000], [0, 100_000, 0]),
        "Amplang C": (dt.date(2025, 1, 20), ["training"], 0, [0, 0, 0], [0, 0, 210_000]),
        "Tenun E": (dt.date(2025, 2, 1), ["packaging"], 0, [0, 0, 0], [0, 0, 0]),
    }
    averages = {
        h.shop_name: (h.before_average_amount, h.after_average_amount) for h in impact.assisted
    }
    assert averages == {
        "Anyaman A": (0, 150_000),
        "Rotan B": (16_667, 33_333),
        "Amplang C": (0, 70_000),
        "Tenun E": (0, 0),
    }
    assert impact.assisted_before_amounts == [0, 0, 12_500]
    assert impact.assisted_after_amounts == [37_500, 25_000, 127_500]
    assert (impact.compared_before_amount, impact.compared_after_amount) == (16_667, 253_333)
    assert impact.capital_amount == 3_500_000


def test_months_not_over_yet_are_unknown_not_zero(sales):
    """On 15 May 2025, B's April is over (0) but May and June are not: unknown. The means
    leave unknown months out: +2 is A, C, E (Mar, Mar, Apr: all 0); +3 is A and C in April,
    (300,000 + 210,000) / 2 = 255,000 (E's +3 is May)."""
    impact = report.impact_report(periods.Period(START, END), today=dt.date(2025, 5, 15))
    b = next(h for h in impact.assisted if h.shop_name == "Rotan B")
    assert b.after == [0, None, None] and b.after_average_amount == 0
    assert impact.assisted_after_amounts == [37_500, 0, 255_000]


def test_days_are_local_days_in_wita(households):
    """A move at 20:00 UTC on 31 Dec 2024 is 04:00 on 1 Jan 2025 in Tarakan: inside."""
    late = _household("tarakan", "2024-12-31", "Kopi F")
    late.created_at = at("2024-12-31", 20)
    db.session.flush()
    impact = report.impact_report(periods.Period(START, END))
    assert impact.new_households == 4


def _make_households(n: int, gateway, region: str = "nunukan"):
    """``n`` households, each with a product approved, help of every kind and a paid order."""
    sellers = []
    for i in range(n):
        seller = _household(region, "2025-02-01", f"Rumah Tangga {i}")
        product = _reviewed(
            seller,
            [
                ("draft", "pending_review", "2025-02-02"),
                ("pending_review", "published", "2025-02-04"),
            ],
        )
        product.stock = 10
        factories.make_capital_assistance(seller, given_on=dt.date(2025, 2, 1))
        factories.make_packaging_help(product, given_on=dt.date(2025, 3, 1))
        order = factories.make_paid_order((product, 1), gateway=gateway)
        order.paid_at = at("2025-04-01")
        sellers.append(seller)
    factories.make_training(sellers, held_on=dt.date(2025, 2, 1))
    db.session.commit()


@pytest.mark.parametrize("url", ["/pkk/laporan", "/pkk/laporan.csv"])
def test_the_report_runs_in_a_bounded_number_of_statements(
    client, login_as, count_queries, payment_gateway, url
):
    login_as("reviewer")
    _make_households(3, payment_gateway)
    with count_queries() as few:
        assert client.get(f"{url}?{PERIOD}").status_code == 200
    _make_households(27, payment_gateway)
    with count_queries() as many:
        response = client.get(f"{url}?{PERIOD}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # 30 households, one basket of 25,000 each: the page writes rupiah, the CSV plain figures.
    assert "Rumah Tangga 26" in body and ("Rp750.000" in body or ",750000" in body)
    assert len(many) == len(few), many


def test_report_page_shows_charts_tables_and_sales(client, login_as, households):
    login_as("reviewer")
    response = client.get(f"/pkk/laporan?{PERIOD}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The charts are SVG drawn on the server: no script of their own (the header's search
    # box loads its suggestions script, a file, on every page).
    assert html.count('<svg class="chart"') == 5
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert html.count("<script") == 1
    assert "style=" not in html
    assert "Penjualan rumah tangga" in html and "Belum ada penjualan dalam periode ini." in html
    assert '<td>Malinau</td><td class="num">3</td>' in html
    assert "Rp3.500.000" in html


def test_csv_has_the_same_figures(client, login_as, households):
    login_as("reviewer")
    response = client.get(f"/pkk/laporan.csv?{PERIOD}&region=malinau")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        "laporan-dampak-malinau-2025-01-01-2025-06-30.csv"
        in response.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    figures = {row[1]: row[2] for row in rows if row and row[0] == "Ringkasan"}
    assert figures["Rumah tangga aktif"] == "3"
    assert figures["Median hari sampai keputusan"] == "2.5"
    assert ["Malinau", "3", "2", "3", "4", "0"] in rows
    assert figures["Penjualan rumah tangga (Rp)"] == "0"


def test_csv_cells_never_start_a_formula(client, login_as):
    seller = _household("bulungan", "2025-02-01", '=HYPERLINK("http://x")')
    factories.make_capital_assistance(seller, given_on=dt.date(2025, 2, 1))
    login_as("reviewer")
    body = client.get(f"/pkk/laporan.csv?{PERIOD}").get_data(as_text=True)
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-06-30&end=2025-01-01", "Tanggal akhir harus sesudah tanggal awal."),
        ("start=2025-01-01&end=2025-06-30&region=kutai", "Kabupaten/kota ini tidak dikenal."),
        ("start=2025-13-01&end=2025-06-30", "Tulis tanggal seperti 2026-11-29."),
        ("start=2000-01-01&end=2025-06-30", "Periode paling panjang lima tahun."),
        ("start=1900-01-01&end=2025-06-30", "Tulis tanggal antara tahun 2000 dan 2099."),
        ("start=%C2%A0&end=2025-06-30", "Wajib diisi."),  # a non-breaking space alone
    ],
)
def test_bad_periods_are_refused_with_the_form_kept(client, login_as, query, message):
    login_as("reviewer")
    response = client.get(f"/pkk/laporan?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'value="2025-06-30"' in html or 'value="2025-13-01"' in html
    assert client.get(f"/pkk/laporan.csv?{query}").status_code == 400


def test_a_kabupaten_reviewer_sees_only_their_kabupaten(client, login_as, households):
    reviewer = login_as("reviewer")
    factories.scope_reviewer(reviewer, "malinau")
    db.session.commit()
    html = client.get(f"/pkk/laporan?{PERIOD}").get_data(as_text=True)
    assert "Laporan dampak: Malinau" in html
    assert "Amplang C" not in html and "Anyaman A" in html
    assert client.get(f"/pkk/laporan?{PERIOD}&region=malinau").status_code == 200
    assert client.get(f"/pkk/laporan?{PERIOD}&region=tarakan").status_code == 403
    assert client.get(f"/pkk/laporan.csv?{PERIOD}&region=tarakan").status_code == 403
    rows = client.get(f"/pkk/laporan.csv?{PERIOD}").get_data(as_text=True)
    assert "Amplang C" not in rows and "Tarakan" not in rows


def test_a_province_reviewer_and_an_admin_see_every_kabupaten(client, login_as, households):
    for role in ("reviewer", "admin"):
        login_as(role)
        html = client.get(f"/pkk/laporan?{PERIOD}&region=tarakan").get_data(as_text=True)
        assert "Amplang C" in html and "Anyaman A" not in html


@pytest.mark.parametrize("role", [None, "buyer", "seller", "officer"])
def test_household_figures_are_never_shown_to_others(client, login_as, households, role):
    if role:
        login_as(role)
    for url in (f"/pkk/laporan?{PERIOD}", f"/pkk/laporan.csv?{PERIOD}"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert "Anyaman A" not in response.get_data(as_text=True)


def test_sales_by_kabupaten_month_and_category(payment_gateway):
    from marketplace.catalog.services import today_local
    from marketplace.orders import lifecycle as lifecycle
    from marketplace.pkk.periods import Period
    from marketplace.pkk.report import impact_report

    today = today_local()
    period = Period(start=today.replace(day=1), end=today, region_id=None)
    before = impact_report(period)
    nunukan = factories.make_seller(region_slug="nunukan")
    tarakan = factories.make_seller(region_slug="tarakan")
    amplang = factories.make_product(seller=nunukan, category_slug="camilan", price=35000)
    tas = factories.make_product(seller=tarakan, category_slug="anyaman", price=150000)
    factories.make_paid_order((amplang, 2), (tas, 1), gateway=payment_gateway)
    cancelled = factories.make_paid_order((tas, 1), gateway=payment_gateway)
    lifecycle.cancel_part_for_buyer(cancelled.id, cancelled.parts[0].id, actor_id=None)

    after = impact_report(period)
    assert after.revenue_amount - before.revenue_amount == 70000 + 150000
    gained = {
        r.name: r.revenue_amount - b.revenue_amount
        for r, b in zip(after.regions, before.regions, strict=True)
    }
    assert gained["Nunukan"] == 70000 and gained["Tarakan"] == 150000
    month = after.months[-1].revenue_amount - before.months[-1].revenue_amount
    assert month == 220000
    snacks = after.revenue_by_category.get("Camilan & Kerupuk", 0)
    assert snacks - before.revenue_by_category.get("Camilan & Kerupuk", 0) == 70000


def test_pdf_has_the_figures_and_the_charts(client, login_as, sales):
    from pypdf import PdfReader

    login_as("reviewer")
    response = client.get(f"/pkk/laporan.pdf?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        "laporan-dampak-kaltara-2025-01-01-2025-06-30.pdf"
        in response.headers["Content-Disposition"]
    )
    pages = PdfReader(io.BytesIO(response.data)).pages
    text = "\n".join(page.extract_text() for page in pages)
    assert "Laporan dampak: Provinsi Kalimantan Utara" in text
    assert "Rp810.000" in text and "37,0% dari penjualan" in text
    assert "Rp253.333" in text and "Rp16.667" in text
    # Malinau's revenue is written by its bar in the chart and again in the table below.
    assert text.count("Rp600.000") >= 2
    assert "Anyaman A" in text and "Amplang C" in text


def test_a_sale_makes_a_household_active_even_after_its_product_left(households, payment_gateway):
    """D (Malinau) had only a draft: not active. A product of D sold on 3 Jun and archived
    since makes D the province's fifth active household."""
    product = factories.make_product(seller=households["d"], stock=5)
    order = factories.make_paid_order((product, 1), gateway=payment_gateway)
    order.paid_at = at("2025-06-03")
    product.status = ProductStatus.ARCHIVED.value
    db.session.flush()
    impact = report.impact_report(periods.Period(START, END))
    assert impact.active_households == 5
    assert {r.name: r.active_households for r in impact.regions}["Malinau"] == 4
