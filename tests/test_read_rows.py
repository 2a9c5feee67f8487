"""``db.read_rows``: a select of plain columns run on the session's connection reads what
the session's own ``execute`` reads, a change not yet flushed included."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.db import db, read_rows
from tests import factories


def test_rows_are_what_the_session_reads_and_see_unflushed_changes(app):
    product = factories.make_product(name="Amplang Baca", stock=5)
    db.session.commit()
    columns = select(Product.id, Product.name).where(Product.id == product.id)
    assert read_rows(columns).all() == db.session.execute(columns).all()

    product.name = "Amplang Baca Baru"  # not flushed yet: the session still holds it
    assert read_rows(columns).one() == (product.id, "Amplang Baca Baru")
    db.session.rollback()
    assert read_rows(columns).one() == (product.id, "Amplang Baca")
