"""``paginate``: one page of a statement built once, its offset and limit bound as it runs."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import bindparam, select

from marketplace import paging
from marketplace.catalog.models import Product, Seller
from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.paging import paginate
from tests import factories

#: built once, as the pages' statements are: each page run binds its own offset and limit
_NAMES = (
    select(Product.id, Product.name)
    .where(Product.name.like(bindparam("prefix")))
    .order_by(Product.id)
)


def test_each_page_of_a_statement_built_once_reads_its_own_rows(app):
    products = [factories.make_product(name=f"Halaman Uji {n}") for n in range(5)]
    factories.make_product(name="Kerupuk")
    db.session.commit()
    params = {"prefix": "Halaman Uji %"}

    pages = [paginate(_NAMES, n, 2, rows=True, params=params) for n in (1, 2, 3, 1)]

    names = [[row.name for row in page] for page in pages]
    assert names == [
        ["Halaman Uji 0", "Halaman Uji 1"],
        ["Halaman Uji 2", "Halaman Uji 3"],
        ["Halaman Uji 4"],
    ] + [["Halaman Uji 0", "Halaman Uji 1"]]
    assert [page.has_next for page in pages] == [True, True, False, True]
    objects = paginate(
        select(Product).where(Product.name.like("Halaman Uji %")).order_by(Product.id), 2, 2
    )
    assert [product.id for product in objects] == [products[2].id, products[3].id]
    with pytest.raises(NotFound):
        paginate(_NAMES, 4, 2, rows=True, params=params)


def test_a_statement_built_for_one_request_is_not_kept(app):
    factories.make_seller()
    kept = len(paging._PAGED)
    paginate(select(Seller.id).order_by(Seller.id), 1, 2, rows=True)
    gc.collect()
    assert len(paging._PAGED) == kept
