"""The review queue read as rows: each product's cover and photo count as its object has
them, on every page (the photos read are those of the page's products)."""

import datetime as dt

from marketplace.catalog.models import ProductPhoto, ProductStatus
from marketplace.db import db, now_utc
from marketplace.pkk import services
from tests import factories


def _submitted(days_ago: int, **kwargs):
    product = factories.make_product(status=ProductStatus.PENDING_REVIEW, **kwargs)
    product.submitted_at = now_utc() - dt.timedelta(days=days_ago)
    db.session.flush()
    return product


def test_each_row_has_its_products_cover_and_photo_count_on_each_page(monkeypatch):
    monkeypatch.setattr(services, "QUEUE_PER_PAGE", 2)
    oldest = _submitted(9, photo_key="a" * 64)
    oldest.photos.append(ProductPhoto(key="b" * 64, width=800, height=600, variant_widths="320"))
    without = _submitted(8)
    without.photos.clear()
    newest = _submitted(7, photo_key="c" * 64)
    db.session.commit()
    db.session.expire_all()

    first = services.review_queue(page=1)
    second = services.review_queue(page=2)
    assert [row.id for row in first] == [oldest.id, without.id]
    assert [row.id for row in second] == [newest.id]
    for row in [*first, *second]:
        product = db.session.get(type(oldest), row.id)
        assert row.photo_count == len(product.photos)
        if product.photos:
            cover = product.photos[0]
            assert (row.cover.key, row.cover.width, row.cover.height) == (
                cover.key,
                cover.width,
                cover.height,
            )
            assert row.cover.variant_widths == cover.variant_widths
        else:
            assert row.cover is None
    assert first.items[0].cover.key == "a" * 64 and first.items[0].photo_count == 2


def test_a_filtered_page_reads_its_own_products_photos():
    _submitted(5, photo_key="d" * 64, seller=factories.make_seller(region_slug="malinau"))
    _submitted(6, photo_key="e" * 64)
    db.session.commit()
    rows = services.review_queue("malinau")
    assert [(row.cover.key, row.photo_count) for row in rows] == [("d" * 64, 1)]
