"""Halal numbers: only a number the halal authority issues is listed, and called a
certificate; free text is refused with how to write one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalog.halal import halal_certificate_number
from marketplace.catalog.models import Product
from marketplace.db import db
from tests import factories


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ID00410000123450123", "ID00410000123450123"),  # BPJPH, also for self-declaration
        ("id 6571 1000 0123 4012 6", "ID65711000012340126"),
        ("No. Sertifikat Halal: ID112100009882540924", "ID112100009882540924"),
        ("00150012345678", "00150012345678"),  # LPPOM MUI, before BPJPH
        ("MUI 0015 0012 3456 78", "00150012345678"),
    ],
)
def test_certificate_numbers_are_read_however_they_were_typed(typed, stored):
    assert halal_certificate_number(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["halal insyaallah", "Halal", "HALAL MUI", "ID123", "IDABC12345678901234", "123456789012345"],
)
def test_anything_else_is_not_a_certificate(typed):
    assert halal_certificate_number(typed) is None


def test_free_text_is_refused_and_what_was_typed_stays(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    form = factories.food_form(name="Amplang Bu Siti", halal_number="halal insyaallah")
    response = client.post("/penjual/produk/baru", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tulis nomor sertifikat halal dari BPJPH" in page
    assert "pernyataan mandiri (self declare) juga bernomor ID" in page
    assert 'value="halal insyaallah"' in page and 'value="Amplang Bu Siti"' in page
    assert db.session.scalar(select(Product).where(Product.seller_id == seller.id)) is None


def test_a_certificate_number_is_kept_in_its_printed_form(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    form = factories.food_form(halal_number="mui 0015-0012-3456-78")
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    product = db.session.scalar(select(Product).where(Product.seller_id == seller.id))
    assert product.halal_number == "00150012345678"


def test_buyers_see_a_certificate_only_when_it_is_one(client):
    product = factories.make_product(category_slug="camilan")
    product.halal_number = "halal insyaallah"  # written before the check existed
    db.session.commit()
    page = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Sertifikat halal" not in page and "insyaallah" not in page
    product.halal_number = "ID65711000012340126"
    db.session.commit()
    page = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Sertifikat halal" in page and "ID65711000012340126" in page
