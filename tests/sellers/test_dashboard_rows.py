"""The household's dashboard rows: newest change first, read a page at a time (the index on
``(seller_id, updated_at, id)``), each row with its request for changes where it has one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from marketplace.catalog.models import PhotoComment, Product, ProductPhoto, ProductStatus
from marketplace.db import db
from marketplace.sellers import dashboard
from tests import factories


@pytest.fixture
def seller(login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    return seller


def listed_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<a href="/penjual/produk/(\d+)">', html)]


def test_the_rows_come_newest_change_first_a_page_at_a_time(client, seller, monkeypatch):
    monkeypatch.setattr(dashboard, "PRODUCTS_PER_PAGE", 3)
    products = [factories.make_product(seller=seller) for _ in range(5)]
    factories.make_product(seller=seller, status=ProductStatus.ARCHIVED)  # not listed
    factories.make_product()  # another household's
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    # changed in the order 2, 0, 4, 1 (and two at the same moment: the higher id first)
    for product, minutes in zip(products, (10, 30, 0, 30, 20), strict=True):
        db.session.execute(
            update(Product)
            .where(Product.id == product.id)
            .values(updated_at=start + dt.timedelta(minutes=minutes))
        )
    db.session.commit()
    ids = [product.id for product in products]
    first = client.get("/penjual").get_data(as_text=True)
    assert listed_ids(first) == [ids[3], ids[1], ids[4]]
    second = client.get("/penjual?page=2").get_data(as_text=True)
    assert listed_ids(second) == [ids[0], ids[2]]
    assert client.get("/penjual?page=3").status_code == 404


def test_a_row_awaiting_changes_shows_the_note_and_where_each_photo_is(client, seller):
    product = factories.make_product(seller=seller, name="Amplang Uji")
    back = ProductPhoto(key="b" * 64, width=400, height=400, variant_widths="320,400")
    product.photos.append(back)
    at = dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)
    change = factories.make_status_change(product, "pending_review", "changes_requested", at)
    change.note = "Kemasan rapi, tinggal dua hal."
    change.photo_comments = [
        PhotoComment(photo_key="b" * 64, note="Label perlu nomor P-IRT."),
        PhotoComment(photo_key="f" * 64, note="Foto lama buram."),
    ]
    product.status = ProductStatus.CHANGES_REQUESTED.value
    factories.make_product(seller=seller, name="Kerupuk Uji")  # shown, asked nothing
    db.session.commit()
    page = " ".join(client.get("/penjual").get_data(as_text=True).split())
    assert "Kemasan rapi, tinggal dua hal." in page
    assert 'alt="Foto 2"' in page and "Foto 2: Label perlu nomor P-IRT." in page
    assert "Foto yang sudah diganti: Foto lama buram." in page
    assert page.count('class="note photo-note"') == 2
    [row] = [row for row in dashboard.list_seller_products(seller.id) if row.id == product.id]
    assert row.photo_number("b" * 64) == 2 and row.photo_number("f" * 64) is None
    assert [photo.key for photo in row.photos] == [photo.key for photo in product.photos]


def test_the_headings_counts_are_share_counts_for_each_household_and_month(clock):
    """The dashboard reads its share counts with the shop (``share_counts_columns``): the
    same counts as ``share_counts``, for the household's own links only, this month only."""
    from marketplace.sellers import shares

    seller, other = factories.make_seller(), factories.make_seller()
    product = factories.make_product(seller=seller, price=40_000)
    elsewhere = factories.make_product(seller=other, price=30_000)
    code = shares.share_code_of(seller.id)
    shares.record_visit(code, "visitor-1", f"/produk/{product.slug}")
    factories.make_paid_order((product, 2), (elsewhere, 1), referral=code)
    factories.make_order((product, 1), referral=code)  # placed, not paid
    db.session.commit()
    today = clock.now.date()
    for household in (seller, other):
        heading = dashboard.shop_heading_of_user(household.user_id, today)
        assert heading.share_counts == shares.share_counts(household.id, today)
    counts = dashboard.shop_heading_of_user(seller.user_id, today).share_counts
    assert (counts.visits, counts.sales, counts.sales_amount) == (1, 1, 80_000)
    assert dashboard.shop_heading_of_user(other.user_id, today).share_counts.sales == 0
    clock.move(days=32)
    later = clock.now.date()
    assert dashboard.shop_heading_of_user(seller.user_id, later).share_counts == (
        shares.ShareCounts(visits=0, sales=0, sales_amount=0)
    )
