"""The gift-box builder while composing: what each product can supply by the delivery date,
every shortfall named with who else can supply, and no submission while one remains."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.institutions import quotes
from marketplace.institutions.models import Quote, QuoteStatus
from tests import factories
from tests.institutions.test_views import builder_data


@pytest.fixture
def office():
    institution = factories.make_institution()
    return institution, factories.make_officer(institution)


def _quote_count() -> int:
    return db.session.scalar(select(func.count(Quote.id)))


def _option_text(html: str, product_id: int) -> str:
    first_line = html.split('name="lines-0-product_id"', 1)[1].split("</select>", 1)[0]
    return re.search(rf'value="{product_id}">([^<]*)</option>', first_line).group(1)


def test_checking_shows_each_products_supply_and_saves_nothing(client, login_as, office):
    login_as(user=office[1])
    amplang = factories.make_product(name="Amplang Cukup", stock=100, category_slug="camilan")
    honey = factories.make_product(name="Madu Sedikit", stock=3, category_slug="madu-kopi")
    other_honey = factories.make_product(
        name="Madu Kelulut Tetangga", stock=40, category_slug="madu-kopi"
    )
    db.session.commit()
    before = _quote_count()

    response = client.post(
        "/instansi/bingkisan/baru", data=builder_data([amplang, honey], periksa="1")
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _quote_count() == before
    # Every product of the list says what it can supply by the date, the chosen ones too.
    assert _option_text(html, other_honey.id).endswith("· bisa 40")
    assert _option_text(html, amplang.id).endswith("· bisa 100")
    assert "✓ Cukup: bisa 100 sampai tanggal pengantaran, perlu 12." in html
    assert "✗ Tidak cukup: tersedia 3 dari 12." in html
    # The shortfall is named at the top with another household's honey that can supply 12.
    top = html.split('class="shortfalls"', 1)[1].split("</section>", 1)[0]
    assert "1 produk belum cukup" in top and "Madu Sedikit" in top
    assert "Madu Kelulut Tetangga (" in top and "Amplang Cukup" not in top
    # What was typed is kept.
    assert "Kunjungan Menteri Pariwisata" in html


def test_what_another_quote_holds_is_not_offered_again(client, login_as, office):
    """The builder counts with the one capacity function: a colleague's submitted quote
    holds 12 of 20, so 8 are left to promise."""
    batik = factories.make_product(name="Batik Ulap Doyo", stock=20, category_slug="anyaman")
    other = factories.make_quote(factories.make_officer(), [batik], boxes=12)
    quotes.submit_quote(other.id, other.created_by)
    login_as(user=office[1])
    response = client.post("/instansi/bingkisan/baru", data=builder_data([batik], periksa="1"))
    html = response.get_data(as_text=True)
    assert _option_text(html, batik.id).endswith("· bisa 8")
    assert "✗ Tidak cukup: tersedia 8 dari 12." in html


def test_a_quote_with_two_short_products_names_both_and_offers_no_submit(client, login_as, office):
    officer = office[1]
    short = [
        factories.make_product(name="Amplang Habis", stock=2, category_slug="camilan"),
        factories.make_product(name="Madu Habis", stock=1, category_slug="madu-kopi"),
    ]
    quote = factories.make_quote(officer, short, boxes=10)
    login_as(user=officer)

    page = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    assert "Ajukan untuk disetujui" not in page
    assert "Belum bisa diajukan: 2 produk belum cukup" in page
    checks = page.split('class="checks"', 1)[1].split("</ul>", 1)[0]
    assert "Amplang Habis" in checks and "Madu Habis" in checks

    # Posting anyway is refused, naming both at once, and the quote stays a draft.
    response = client.post(f"/instansi/penawaran/{quote.id}/ajukan")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "Amplang Habis tidak bisa disiapkan" in html and "Madu Habis tidak bisa disiapkan" in html
    )
    db.session.refresh(quote)
    assert quote.status == QuoteStatus.DRAFT

    builder = client.get(f"/instansi/penawaran/{quote.id}/ubah").get_data(as_text=True)
    assert "2 produk belum cukup untuk" in builder


def test_quote_and_dashboard_label_every_figure_for_a_phone(client, login_as, office):
    officer = office[1]
    quote = factories.make_quote(officer)
    login_as(user=officer)
    page = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    # One card per product, and one for the printed greeting cards.
    assert page.count('data-label="Subtotal"') == len(quote.lines) + 1
    dashboard = client.get("/instansi/").get_data(as_text=True)
    assert 'data-label="Status"' in dashboard and 'data-label="Total"' in dashboard


def test_checking_without_the_forms_token_is_refused(client, login_as, office, csrf):
    login_as(user=office[1])
    product = factories.make_product(stock=10)
    db.session.commit()
    response = client.post("/instansi/bingkisan/baru", data=builder_data([product], periksa="1"))
    assert response.status_code == 400
