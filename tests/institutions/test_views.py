"""The protocol office pages: who sees what, and bad input that keeps what was typed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import ProductStatus
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import boxes, members, quotes
from marketplace.institutions import orders as gov_orders
from marketplace.institutions.models import Institution, QuoteStatus
from marketplace.orders.models import order_number
from tests import factories


@pytest.fixture
def office():
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    return institution, officer, head


def builder_data(products, **overrides):
    data = {
        "event_name": "Kunjungan Menteri Pariwisata",
        "box_count": "12",
        "delivery_date": (today_local() + dt.timedelta(days=30)).isoformat(),
        "delivery_time": "10.00 WITA",
        "delivery_place": "Pendopo Gubernur, Tanjung Selor",
        "card_text": "Selamat datang di Bumi Benuanta",
        "budget_code": "5.1.02.01.01.0026",
        "rup_code": "",
        "idempotency_token": factories.form_token(),
    }
    for index, product in enumerate(products):
        data[f"lines-{index}-product_id"] = str(product.id)
        data[f"lines-{index}-quantity_per_box"] = "1"
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url", ["/instansi/", "/instansi/bingkisan/baru", "/instansi/admin", "/instansi/admin/1"]
)
def test_buyers_are_kept_out(client, login_as, url):
    login_as(Role.BUYER)
    assert client.get(url).status_code == 403


def test_admin_creates_an_institution_and_adds_an_approver(client, login_as):
    login_as(Role.ADMIN)
    response = client.post(
        "/instansi/admin",
        data={
            "name": "Sekretariat DPRD Kabupaten Nunukan",
            "unit": "Bagian Umum dan Protokol",
            "address": "Jl. Ujang Dewa, Nunukan",
            "npwp": "00.765.432.1-728.000",
            "treasurer_name": "Bendahara Nunukan",
        },
    )
    assert response.status_code == 302
    institution = db.session.scalar(
        select(Institution).where(Institution.name == "Sekretariat DPRD Kabupaten Nunukan")
    )
    user = factories.make_user()
    db.session.commit()
    response = client.post(
        f"/instansi/admin/{institution.id}", data={"email": user.email, "can_approve": "y"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert Role.OFFICER in user.roles and members.membership_of(user).can_approve
    page = client.get(f"/instansi/admin/{institution.id}").get_data(as_text=True)
    assert user.email in page
    member = members.membership_of(user)
    url = f"/instansi/admin/{institution.id}/anggota/{member.id}/hapus"
    assert client.post(url).status_code == 302
    assert members.membership_of(user) is None
    assert client.post(url).status_code == 404


def test_admin_form_errors_keep_what_was_typed(client, login_as):
    login_as(Role.ADMIN)
    factories.make_institution(name="Biro Umum Kota Tarakan")
    db.session.commit()
    response = client.post(
        "/instansi/admin",
        data={
            "name": "Biro Umum Kota Tarakan",
            "unit": "Bagian Protokol Setda Kota Tarakan",
            "address": "Jl. Sudirman, Tarakan",
            "npwp": "1",
            "treasurer_name": "Ibu Bendahara",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "sudah ada" in html and "Bagian Protokol Setda Kota Tarakan" in html
    institution = factories.make_institution()
    db.session.commit()
    response = client.post(f"/instansi/admin/{institution.id}", data={"email": "x@tidak.id"})
    assert response.status_code == 400 and "x@tidak.id" in response.get_data(as_text=True)


def test_officer_without_institution_is_told_to_ask_an_admin(client, login_as):
    login_as(Role.OFFICER)
    response = client.get("/instansi/")
    assert response.status_code == 403 and "Hubungi admin" in response.get_data(as_text=True)


def test_builder_makes_a_draft_and_shows_whether_it_fits(client, login_as, office):
    login_as(user=office[1])
    amplang = factories.make_product(name="Amplang Uji", stock=100, category_slug="camilan")
    small = factories.make_product(name="Madu Sedikit", stock=3, category_slug="madu-kopi")
    db.session.commit()
    form = client.get("/instansi/bingkisan/baru").get_data(as_text=True)
    assert "Amplang Uji" in form and 'name="lines-2-product_id"' in form
    data = builder_data([amplang, small], **{"lines-1-quantity_per_box": ""})
    response = client.post("/instansi/bingkisan/baru", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kunjungan Menteri Pariwisata" in page
    assert "tersedia 100" in page and "tersedia 3 dari 12" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"box_count": "0"}, "minimal 1"),
        ({"box_count": "100000"}, "paling banyak"),
        ({"delivery_date": "2020-01-01"}, "sesudah hari ini"),
    ],
)
def test_builder_refuses_bad_input_and_keeps_it(client, login_as, office, overrides, message):
    login_as(user=office[1])
    product = factories.make_product(stock=100)
    db.session.commit()
    response = client.post("/instansi/bingkisan/baru", data=builder_data([product], **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and "Kunjungan Menteri Pariwisata" in html
    assert f'<option selected value="{product.id}">' in html


def test_builder_rows_keep_what_was_typed_and_point_at_their_errors(client, login_as, office):
    """Each row (written in one call, ``forms.line_html``): its labels, the product chosen,
    the quantity typed (escaped), and a refused quantity marked and pointed at its error."""
    login_as(user=office[1])
    product = factories.make_product(stock=100)
    db.session.commit()
    data = builder_data(
        [product, product],
        **{"lines-0-quantity_per_box": '2"><b>', "lines-1-quantity_per_box": "3"},
    )
    response = client.post("/instansi/bingkisan/baru", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<label for="lines-0-product_id" class="visually-hidden">Produk 1</label>' in html
    assert (
        '<label for="lines-1-quantity_per_box" class="visually-hidden">'
        "Jumlah per bingkisan 2</label>"
    ) in html
    first = re.search(r'<input [^>]*name="lines-0-quantity_per_box"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in first and 'aria-describedby="lines-0-error"' in first
    assert 'value="2&#34;&gt;&lt;b&gt;"' in first and "<b>" not in html.split("<main", 1)[1]
    assert '<p class="error" id="lines-0-error">Baris 1: ' in html
    second = re.search(r'<input [^>]*name="lines-1-quantity_per_box"[^>]*>', html).group(0)
    assert 'value="3"' in second and "aria-invalid" not in second
    assert 'placeholder="jumlah"' in second
    row = html.split('name="lines-1-product_id"', 1)[1].split("</select>", 1)[0]
    assert f'<option selected value="{product.id}">' in row


def test_builder_refuses_a_paused_product_with_a_reason(client, login_as, office):
    login_as(user=office[1])
    paused = factories.make_product(name="Lempok Libur", stock=100, status=ProductStatus.PAUSED)
    db.session.commit()
    response = client.post("/instansi/bingkisan/baru", data=builder_data([paused]))
    assert response.status_code == 400
    assert "Lempok Libur sedang tidak dijual" in response.get_data(as_text=True)


def test_another_institutions_quote_and_document_are_not_found(client, login_as, office):
    quote = factories.make_quote(office[1])
    quotes.submit_quote(quote.id, office[1])
    document = quote.documents[0]
    login_as(user=factories.make_officer(can_approve=True))
    for url in (
        f"/instansi/penawaran/{quote.id}",
        f"/instansi/penawaran/{quote.id}/ubah",
        f"/instansi/dokumen/{document.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/instansi/penawaran/{quote.id}/setujui").status_code == 404
    assert quote.status == QuoteStatus.SUBMITTED


def test_submit_approve_and_download(client, login_as, office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    db.session.commit()
    login_as(user=officer)
    assert client.post(f"/instansi/penawaran/{quote.id}/ajukan").status_code == 302
    db.session.refresh(quote)
    assert quote.status == QuoteStatus.SUBMITTED and quote.number
    # The officer sees no approve button and cannot approve by posting.
    page = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    assert "Setujui" not in page
    login_as(user=head)
    assert client.post(f"/instansi/penawaran/{quote.id}/setujui").status_code == 302
    again = client.post(f"/instansi/penawaran/{quote.id}/setujui")
    assert again.status_code == 409 and "sudah disetujui" in again.get_data(as_text=True)
    db.session.refresh(quote)
    assert quote.status == QuoteStatus.ORDERED
    assert [e.to_status for e in quote.events].count(QuoteStatus.APPROVED) == 1
    page = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    assert "Menunggu persetujuan" in page and "Disetujui" in page  # the timeline
    response = client.get(f"/instansi/dokumen/{quote.documents[0].id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and "PNW-" in response.headers["Content-Disposition"]


def test_quote_page_reads_the_officer_and_the_order_with_the_quote(client, login_as, office):
    """The quote, the officer's place (may they approve?) and the order made from it come
    in one statement: each must still be the right one."""
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    db.session.commit()
    url = f"/instansi/penawaran/{quote.id}"
    login_as(user=officer)
    page = client.get(url).get_data(as_text=True)
    assert "Setujui</button>" not in page and "Lihat pesanan" not in page
    login_as(user=head)
    assert "Setujui</button>" in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/setujui").status_code == 302
    order = gov_orders.order_of_quote(quote.id)
    page = client.get(url).get_data(as_text=True)
    assert f'href="/instansi/pesanan/{order.id}"' in page
    assert f"Lihat pesanan {order_number(order.id)}" in page
    # Signed in, an officer by role, but of no institution: the quote is not found.
    login_as(user=factories.make_user(roles=[Role.OFFICER]))
    assert client.get(url).status_code == 404


def test_own_quote_approval_is_refused_with_a_message(client, login_as, office):
    head = office[2]
    quote = factories.make_quote(head)
    quotes.submit_quote(quote.id, head)
    login_as(user=head)
    response = client.post(f"/instansi/penawaran/{quote.id}/setujui")
    assert response.status_code == 400
    assert "buat sendiri" in response.get_data(as_text=True)


def test_expired_quote_offers_renewal(client, login_as, office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    quote.valid_until = today_local() - dt.timedelta(days=2)
    login_as(user=head)
    response = client.post(f"/instansi/penawaran/{quote.id}/setujui")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "sudah habis" in html and f"/instansi/penawaran/{quote.id}/perbarui" in html
    response = client.post(f"/instansi/penawaran/{quote.id}/perbarui")
    assert response.status_code == 302
    db.session.refresh(quote)
    assert quote.status == QuoteStatus.CANCELLED


def test_return_with_a_comment_shows_in_the_timeline(client, login_as, office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    login_as(user=head)
    response = client.post(f"/instansi/penawaran/{quote.id}/kembalikan", data={"reason": ""})
    assert response.status_code == 400
    client.post(f"/instansi/penawaran/{quote.id}/kembalikan", data={"reason": "Kurangi batik"})
    page = client.get(f"/instansi/penawaran/{quote.id}").get_data(as_text=True)
    assert "Kurangi batik" in page and "Dikembalikan" in page
    login_as(user=officer)
    assert client.post(f"/instansi/penawaran/{quote.id}/batalkan").status_code == 302
    db.session.refresh(quote)
    assert quote.status == QuoteStatus.CANCELLED


def test_save_a_template_and_compose_from_it(client, login_as, office):
    officer = office[1]
    quote = factories.make_quote(officer)
    login_as(user=officer)
    response = client.post(f"/instansi/penawaran/{quote.id}/templat", data={"name": "Tamu VIP"})
    assert response.status_code == 302
    (template,) = boxes.list_templates(office[0].id)
    dashboard = client.get("/instansi/").get_data(as_text=True)
    assert "Tamu VIP" in dashboard
    form = client.get(f"/instansi/bingkisan/baru?templat={template.id}").get_data(as_text=True)
    for line in quote.lines:
        assert f'<option selected value="{line.product_id}">' in form
    login_as(user=factories.make_officer())
    assert client.get(f"/instansi/bingkisan/baru?templat={template.id}").status_code == 404


def test_quote_page_runs_a_fixed_number_of_queries(client, login_as, office, count_queries):
    products = [factories.make_product(stock=100) for _ in range(5)]
    quote = factories.make_quote(office[1], products)
    more = [factories.make_product(stock=100) for _ in range(5)]
    bigger = factories.make_quote(office[1], products + more)
    small_url, big_url = f"/instansi/penawaran/{quote.id}", f"/instansi/penawaran/{bigger.id}"
    login_as(user=office[1])
    with count_queries() as few:
        assert client.get(small_url).status_code == 200
    with count_queries() as many:
        assert client.get(big_url).status_code == 200
    assert len(many) == len(few)


def test_builder_offers_the_official_gifts_first(client, office):
    _institution, officer, _head = office
    gift = factories.make_official_gift()
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = officer.session_token
    html = client.get("/instansi/bingkisan/baru").get_data(as_text=True)
    first_line = html.split('name="lines-0-product_id"', 1)[1].split("</select>", 1)[0]
    values = re.findall(r'<option (?:selected )?value="(\d+)"', first_line)
    assert values[:2] == ["0", str(gift.product_id)]
    assert "★ Oleh-oleh resmi" in first_line.split("</option>")[1]
