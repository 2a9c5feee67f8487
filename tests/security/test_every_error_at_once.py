"""Every error at once: a form that fails says everything that is wrong in one answer,
with a summary at the top of the page linking to each field, and keeps what was typed,
photos included. (The hostile-input sweep checks that every summary link lands on a
field of its page, for every form of the access table.)"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.sellers.models import SellerApplication
from tests import factories
from tests.institutions.test_views import builder_data
from tests.sellers.test_applications import _form as _application

SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)


def summary_of(html: str) -> list[tuple[str | None, str]]:
    """(the field it links to, the words) for each line of the page's error summary."""
    match = SUMMARY.search(html)
    if match is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    found = []
    for item in items:
        link = re.search(r'href="#([^"]+)"', item)
        found.append((link.group(1) if link else None, re.sub(r"<[^>]+>", "", item).strip()))
    return found


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def assert_summary_links_land(html: str) -> None:
    """Every link of the summary points at an element of the page."""
    missing = [anchor for anchor, _ in summary_of(html) if anchor and anchor not in ids_in(html)]
    assert not missing, f"the error summary links to no field: {missing}"


def test_a_listing_names_every_problem_at_once_and_keeps_its_photo(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    db.session.commit()
    form = factories.food_form(
        name="",
        price="0",
        pirt_number="",
        shelf_life_days="",
        weight_grams="",
        description="Renyah, tanpa pengawet.",
        photos=[(io.BytesIO(factories.photo_bytes()), "kemasan.jpg")],
    )
    response = client.post("/penjual/produk/baru", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    problems = summary_of(html)
    assert {anchor for anchor, _ in problems} == {
        "name",
        "price",
        "weight_grams",
        "pirt_number",
        "shelf_life_days",
    }
    words = " ".join(text for _, text in problems)
    assert "Ada 5 isian yang perlu diperbaiki" in html
    assert "P-IRT" in words and "daya tahan" in words and "Rp0" in words
    assert_summary_links_land(html)
    # What was typed stays, and the photo is kept for the next try.
    assert "Renyah, tanpa pengawet." in html
    assert re.search(r'name="upload_ids" type="hidden" value="\d+"', html) or re.search(
        r'name="upload_ids" value="\d+"', html
    )


def test_form_library_messages_speak_indonesian_and_english(client):
    page = client.post("/akun/daftar", data={"email": "bu.sari@contoh.id"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert ("name", "Nama lengkap: Wajib diisi.") in summary_of(html)
    assert "This field is required." not in html
    client.post("/bahasa", data={"locale": "en"})
    english = client.post("/akun/daftar", data={"email": "bu.sari@contoh.id"})
    assert "This field is required." in english.get_data(as_text=True)
    assert "1 field needs fixing" in english.get_data(as_text=True) or "fields need fixing" in (
        english.get_data(as_text=True)
    )


def test_a_shop_application_names_every_problem_and_keeps_the_photo(client, login_as):
    user = login_as("buyer")
    first = client.post("/buka-toko", data=_application(shop_name="", whatsapp="12345", nib="123"))
    html = first.get_data(as_text=True)
    assert first.status_code == 400
    assert {anchor for anchor, _ in summary_of(html)} == {"shop_name", "whatsapp", "nib"}
    assert_summary_links_land(html)
    assert "Foto Anda sudah diterima" in html
    note = re.search(r'id="photo_kept" name="photo_kept" type="hidden" value="([^"]+)"', html)
    assert note, "the photo travels with the form"
    # The fixed form goes without a file: the photo sent the first time is the one kept.
    fixed = _application(photo=(io.BytesIO(b""), ""), photo_kept=note.group(1))
    second = client.post("/buka-toko", data=fixed)
    assert second.status_code == 302
    application = db.session.scalar(
        select(SellerApplication).where(SellerApplication.user_id == user.id)
    )
    assert application.key and application.width == 800


def test_a_forged_photo_note_is_no_photo(client, login_as):
    login_as("buyer")
    forged = _application(photo=(io.BytesIO(b""), ""), photo_kept="a" * 64)
    response = client.post("/buka-toko", data=forged)
    assert response.status_code == 400
    assert ("photo", "Foto usaha atau produk: Tambahkan satu foto usaha atau produk Anda.") in (
        summary_of(response.get_data(as_text=True))
    )


@pytest.fixture
def officer():
    return factories.make_officer()


def test_the_builder_names_every_problem_at_once(client, login_as, officer):
    login_as(user=officer)
    paused = factories.make_product(name="Lempok Libur", stock=100)
    paused.status = "paused"
    other = factories.make_product(name="Kerupuk Libur", stock=100)
    other.status = "paused"
    db.session.commit()
    data = builder_data([paused, other], event_name="", budget_code="", delivery_date="2020-01-01")
    response = client.post("/instansi/bingkisan/baru", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    anchors = [anchor for anchor, _ in summary_of(html)]
    assert {"event_name", "budget_code", "delivery_date", "lines"} <= set(anchors)
    assert (
        "Lempok Libur sedang tidak dijual" in html and "Kerupuk Libur sedang tidak dijual" in html
    )
    assert_summary_links_land(html)


def test_submitting_a_quote_names_every_shortfall(client, login_as, officer):
    login_as(user=officer)
    madu = factories.make_product(name="Madu Kelulut", stock=500)
    kain = factories.make_product(name="Kain Tenun", stock=500)
    quote = factories.make_quote(officer, [madu, kain], boxes=20)
    # Both run short after the draft was made.
    madu.stock = 3
    kain.stock = 4
    db.session.commit()
    response = client.post(f"/instansi/penawaran/{quote.id}/ajukan", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Madu Kelulut tidak bisa disiapkan tepat waktu (tersedia 3 dari 20)" in html
    assert "Kain Tenun tidak bisa disiapkan tepat waktu (tersedia 4 dari 20)" in html


def test_checkout_names_every_problem_of_the_address_at_once(client):
    product = factories.make_product(stock=5)
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    typed = vars(
        factories.checkout_details(name=" ", whatsapp="12345", street="", postal_code="77")
    )
    response = client.post("/checkout", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    anchors = {anchor for anchor, _ in summary_of(html)}
    assert anchors == {"name", "whatsapp", "street", "postal_code"}
    assert_summary_links_land(html)
    assert typed["district"] in html  # what was typed stays


def test_a_row_s_problem_is_named_with_its_row(client, login_as, officer):
    """A problem in a row of a list of fields is named by the list's label and the row's
    number ("..., baris 2"), and only rows with a problem are named."""
    login_as(user=officer)
    first = factories.make_product(name="Amplang Baris", stock=100)
    second = factories.make_product(name="Madu Baris", stock=100)
    db.session.commit()
    data = builder_data([first, second], **{"lines-1-quantity_per_box": "dua"})
    html = client.post("/instansi/bingkisan/baru", data=data).get_data(as_text=True)
    words = [text for _anchor, text in summary_of(html)]
    assert any(", baris 2" in text for text in words), words
    assert not any(", baris 1" in text for text in words), words
    assert_summary_links_land(html)
