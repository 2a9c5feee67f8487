"""The builder's rows: three to start with (most boxes hold 3-5 products), "Tambah baris"
for one more without JavaScript, what was typed kept and nothing saved; at most twenty."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.institutions.models import Quote
from tests import factories
from tests.conftest import csrf_token_from
from tests.institutions.test_views import builder_data

ADD_ROW = '<button type="submit" name="tambah" value="1">'
SELECT_RE = re.compile(
    r'<select id="lines-(\d+)-product_id" name="lines-\1-product_id">(.*?)</select>'
)


@pytest.fixture
def office():
    institution = factories.make_institution()
    return institution, factories.make_officer(institution)


def _rows(html: str) -> dict[int, str]:
    """Each row's number (from 0) and the options of its product list."""
    return {int(number): options for number, options in SELECT_RE.findall(html)}


def _quote_count() -> int:
    return db.session.scalar(select(func.count(Quote.id)))


def _as_a_browser_sends(data: dict, rows: int) -> dict:
    """``data`` with the rows a browser posts: each row's list and quantity, blank unless set."""
    for row in range(rows):
        data.setdefault(f"lines-{row}-product_id", "0")
        data.setdefault(f"lines-{row}-quantity_per_box", "")
    return data


def test_a_fresh_builder_shows_three_rows_and_offers_another(client, login_as, office):
    login_as(user=office[1])
    html = client.get("/instansi/bingkisan/baru").get_data(as_text=True)
    assert list(_rows(html)) == [0, 1, 2]
    fieldset = html.split('class="box-lines', 1)[1].split("</fieldset>", 1)[0]
    assert f"{ADD_ROW}Tambah baris</button>" in fieldset
    client.post("/bahasa", data={"locale": "en"})
    english = client.get("/instansi/bingkisan/baru").get_data(as_text=True)
    assert f"{ADD_ROW}Add a row</button>" in english


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(client, login_as, office):
    login_as(user=office[1])
    product = factories.make_product(name="Amplang Baris", stock=100)
    db.session.commit()
    before = _quote_count()
    data = _as_a_browser_sends(
        builder_data([product], tambah="1", **{"lines-0-quantity_per_box": "4"}), rows=3
    )

    response = client.post("/instansi/bingkisan/baru", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _quote_count() == before
    rows = _rows(html)
    assert list(rows) == [0, 1, 2, 3]
    assert f'<option selected value="{product.id}">' in rows[0]
    quantity = re.search(r'<input [^>]*name="lines-0-quantity_per_box"[^>]*>', html).group(0)
    assert 'value="4"' in quantity
    assert 'value="Kunjungan Menteri Pariwisata"' in html
    assert re.search(r'<input [^>]*name="box_count"[^>]*value="12"', html)
    assert f'value="{data["delivery_date"]}"' in html
    # The new row offers the same list, nothing chosen; no row is told it is wrong.
    assert '<option selected value="0">' in rows[3]
    assert rows[3].replace("selected ", "") == rows[1].replace("selected ", "")
    assert "Amplang Baris" in rows[3]
    assert 'class="error"' not in html and "aria-invalid" not in html
    assert ADD_ROW in html


def test_adding_a_row_without_the_forms_token_is_refused(client, login_as, office, csrf):
    login_as(user=office[1])
    product = factories.make_product(stock=10)
    db.session.commit()
    data = builder_data([product], tambah="1")
    assert client.post("/instansi/bingkisan/baru", data=data).status_code == 400
    token = csrf_token_from(client.get("/instansi/bingkisan/baru").get_data(as_text=True))
    response = client.post("/instansi/bingkisan/baru", data={**data, "csrf_token": token})
    assert response.status_code == 200
    assert list(_rows(response.get_data(as_text=True))) == [0, 1, 2, 3]


def test_twenty_rows_at_most(client, login_as, office):
    login_as(user=office[1])
    before = _quote_count()
    at_nineteen = _as_a_browser_sends(builder_data([], tambah="1"), rows=19)
    html = client.post("/instansi/bingkisan/baru", data=at_nineteen).get_data(as_text=True)
    assert list(_rows(html)) == list(range(20)) and ADD_ROW not in html
    # A "tambah" sent anyway, or rows past twenty, still give twenty.
    for rows in (20, 25):
        forged = _as_a_browser_sends(builder_data([], tambah="1"), rows=rows)
        response = client.post("/instansi/bingkisan/baru", data=forged)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert list(_rows(html)) == list(range(20)) and ADD_ROW not in html
    assert _quote_count() == before


def test_editing_a_quote_shows_its_lines_and_two_blank_rows(client, login_as, office):
    officer = office[1]
    products = [factories.make_product(stock=500) for _ in range(4)]
    quote = factories.make_quote(officer, products)
    db.session.commit()
    login_as(user=officer)
    html = client.get(f"/instansi/penawaran/{quote.id}/ubah").get_data(as_text=True)
    rows = _rows(html)
    assert list(rows) == [0, 1, 2, 3, 4, 5]
    for row, product in enumerate(products):
        assert f'<option selected value="{product.id}">' in rows[row]
    assert '<option selected value="0">' in rows[4] and '<option selected value="0">' in rows[5]


def test_four_rows_filled_after_adding_one_are_saved(client, login_as, office):
    login_as(user=office[1])
    products = [factories.make_product(stock=500) for _ in range(4)]
    db.session.commit()
    response = client.post("/instansi/bingkisan/baru", data=builder_data(products))
    assert response.status_code == 302
    quote = db.session.scalar(select(Quote).order_by(Quote.id.desc()))
    assert sorted(line.product_id for line in quote.lines) == sorted(p.id for p in products)
