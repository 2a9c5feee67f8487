"""The impact report against figures computed by hand on a small fixed data set.

The demo catalogue was made "now" (late 2026); the data set here lives in the first half
of 2025, so the demo rows fall outside the period and every figure below is exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.db import db
from marketplace.pkk import report
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
    impact = report.impact_report(report.Period(START, END))
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
    impact = report.impact_report(report.Period(START, END, malinau.id))
    assert [r.name for r in impact.regions] == ["Malinau"]
    assert (impact.active_households, impact.new_households, impact.products_published) == (3, 2, 3)
    assert impact.reviews == report.ReviewFigures(
        submitted=4, verdicts=4, approved_first_time=2, first_verdicts=3, median_days_to_verdict=2.5
    )
    assert {h.shop_name for h in impact.assisted} == {"Anyaman A", "Rotan B", "Tenun E"}


def test_assisted_households_before_and_after(households):
    """A: training 20 Jan, approval 13 Feb after; B: capital 3 Mar, approval 7 Mar after;
    C: training 20 Jan, approval 5 Apr (75 days) after; E: packaging 1 Feb, approval 5 Jan
    before."""
    impact = report.impact_report(report.Period(START, END))
    rows = {
        h.shop_name: (
            h.first_assisted_on,
            h.kinds,
            h.capital_amount,
            h.published_before,
            h.published_after,
        )
        for h in impact.assisted
    }
    assert rows == {
        "Anyaman A": (dt.date(2025, 1, 20), ["training"], 0, 0, 1),
        "Rotan B": (dt.date(2025, 3, 3), ["capital"], 3_500_000, 0, 1),
        "Amplang C": (dt.date(2025, 1, 20), ["training"], 0, 0, 1),
        "Tenun E": (dt.date(2025, 2, 1), ["packaging"], 0, 1, 0),
    }
    assert (impact.assisted_published_before, impact.assisted_published_after) == (1, 3)
    assert impact.capital_amount == 3_500_000


def test_days_are_local_days_in_wita(households):
    """A move at 20:00 UTC on 31 Dec 2024 is 04:00 on 1 Jan 2025 in Tarakan: inside."""
    late = _household("tarakan", "2024-12-31", "Kopi F")
    late.created_at = at("2024-12-31", 20)
    db.session.flush()
    impact = report.impact_report(report.Period(START, END))
    assert impact.new_households == 4


def _make_households(n: int, region: str = "nunukan"):
    for i in range(n):
        seller = _household(region, "2025-02-01", f"Rumah Tangga {i}")
        product = _reviewed(
            seller,
            [
                ("draft", "pending_review", "2025-02-02"),
                ("pending_review", "published", "2025-02-04"),
            ],
        )
        factories.make_capital_assistance(seller, given_on=dt.date(2025, 2, 1))
        factories.make_packaging_help(product, given_on=dt.date(2025, 3, 1))
    factories.make_training([], held_on=dt.date(2025, 2, 1))
    db.session.commit()


def test_the_report_runs_in_a_bounded_number_of_statements(client, login_as, count_queries):
    login_as("reviewer")
    _make_households(5)
    with count_queries() as few:
        assert client.get(f"/pkk/laporan?{PERIOD}").status_code == 200
    _make_households(45)
    with count_queries() as many:
        response = client.get(f"/pkk/laporan?{PERIOD}")
    assert response.status_code == 200
    assert "Rumah Tangga 44" in response.get_data(as_text=True)
    assert len(many) == len(few), many


def test_report_page_shows_charts_tables_and_sales(client, login_as, households):
    login_as("reviewer")
    response = client.get(f"/pkk/laporan?{PERIOD}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('<svg class="chart"') == 2 and "<script" not in html
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
    assert ["Malinau", "3", "2", "3", "4"] in rows
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
        ("start=1900-01-01&end=2025-06-30", "Periode paling panjang lima tahun."),
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
    from marketplace.orders import services as orders
    from marketplace.pkk.report import Period, impact_report

    today = today_local()
    period = Period(start=today.replace(day=1), end=today, region_id=None)
    before = impact_report(period)
    nunukan = factories.make_seller(region_slug="nunukan")
    tarakan = factories.make_seller(region_slug="tarakan")
    amplang = factories.make_product(seller=nunukan, category_slug="camilan", price=35000)
    tas = factories.make_product(seller=tarakan, category_slug="anyaman", price=150000)
    factories.make_paid_order((amplang, 2), (tas, 1), gateway=payment_gateway)
    cancelled = factories.make_paid_order((tas, 1), gateway=payment_gateway)
    orders.cancel_part_for_buyer(cancelled.id, cancelled.parts[0].id, actor_id=None)

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
