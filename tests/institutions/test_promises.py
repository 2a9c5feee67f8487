"""One capacity, one count: what a quote holds is not sold to the public, the builder
counts made-to-order goods as checkout does, and approval re-checks the delivery date."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.catalog.models import Product
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions import boxes, quotes
from marketplace.institutions.models import QuoteStatus
from tests import factories


@pytest.fixture
def office():
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    return institution, officer, head


def test_a_held_quote_keeps_its_stock_from_the_public(app, client, login_as, office):
    _, officer, head = office
    kain = factories.make_product(name="Kain Tenun Uji", stock=5, price=250_000)
    quote = factories.make_quote(officer, [kain], boxes=4)
    quotes.submit_quote(quote.id, officer)
    db.session.commit()

    buyer = app.test_client()
    page = buyer.get(f"/produk/{kain.slug}").get_data(as_text=True)
    assert "Stok: 1" in page and "Stok: 5" not in page
    assert buyer.post("/keranjang/tambah", data={"product_id": kain.id, "quantity": 3}).status_code
    assert "Stok tinggal 1." in buyer.get("/keranjang").get_data(as_text=True)
    placed = buyer.post("/checkout", data=vars(factories.checkout_details()))
    assert 400 <= placed.status_code < 500
    db.session.expire_all()
    assert db.session.get(Product, kain.id).stock == 5

    login_as(user=head)
    assert client.post(f"/instansi/penawaran/{quote.id}/setujui").status_code == 302
    db.session.expire_all()
    assert quote.status == QuoteStatus.ORDERED
    assert db.session.get(Product, kain.id).stock == 1
    # The one unit nobody promised is still for sale.
    assert "Stok: 1" in buyer.get(f"/produk/{kain.slug}").get_data(as_text=True)


def made_to_order(**fields):
    product = factories.make_product(name="Amplang Pesanan", stock=0, category_slug="camilan")
    product.is_made_to_order = True
    for name, value in fields.items():
        setattr(product, name, value)
    db.session.flush()
    return product


def test_the_builder_counts_a_lead_time_as_checkout_does(office):
    _, officer, _head = office
    product = made_to_order(daily_capacity=10, lead_time_days=14)
    fit = boxes.fit_of(product, 120, today_local() + dt.timedelta(days=15))
    # Made from day 14 only: one day of making (none if that day is a Sunday), not twelve.
    assert not fit.fits and fit.available <= 10
    assert boxes.misfit_label(fit).startswith("tidak cukup: tersedia")


def test_approval_after_the_delivery_date_is_refused_with_the_reason(
    client, login_as, office, clock
):
    _, officer, head = office
    quote = factories.make_quote(officer, days=10)
    quotes.submit_quote(quote.id, officer)
    clock.move(days=10)
    quote.valid_until = today_local() + dt.timedelta(days=5)
    db.session.commit()
    login_as(user=head)
    response = client.post(f"/instansi/penawaran/{quote.id}/setujui")
    assert response.status_code == 400
    assert "sudah lewat" in response.get_data(as_text=True)
    db.session.expire_all()
    assert quote.status == QuoteStatus.SUBMITTED


def test_approval_refuses_when_a_household_could_not_confirm_in_time(
    client, login_as, office, clock
):
    _, officer, head = office
    product = made_to_order(daily_capacity=50, lead_time_days=5)
    quote = factories.make_quote(officer, [product], boxes=20, days=12)
    quotes.submit_quote(quote.id, officer)
    # Four days before delivery the household would have to be making already.
    clock.move(days=8)
    quote.valid_until = today_local() + dt.timedelta(days=5)
    db.session.commit()
    login_as(user=head)
    response = client.post(f"/instansi/penawaran/{quote.id}/setujui")
    assert response.status_code == 400
    assert "tidak sempat mengonfirmasi" in response.get_data(as_text=True)
    db.session.expire_all()
    assert quote.status == QuoteStatus.SUBMITTED
