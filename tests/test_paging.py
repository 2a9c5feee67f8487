"""One page of a list: the rows or objects of that page, whether another follows."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import bindparam, select

from marketplace import paging
from marketplace.catalog.models import Seller
from marketplace.errors import NotFound
from tests import factories


def test_a_statement_built_once_gives_each_page_with_its_own_values(app):
    ids = sorted(factories.make_seller().id for _ in range(5))
    newest_first = (
        select(Seller.id, Seller.shop_name)
        .where(Seller.id >= bindparam("first"))
        .order_by(Seller.id.desc())
    )
    pages = [
        paging.paginate(newest_first, page, 2, rows=True, params={"first": ids[0]})
        for page in (1, 2, 3)
    ]
    assert [[row.id for row in page] for page in pages] == [ids[:2:-1], ids[2:0:-1], ids[:1]]
    assert [page.has_next for page in pages] == [True, True, False]
    later = paging.paginate(newest_first, 1, 2, rows=True, params={"first": ids[3]})
    assert [row.id for row in later] == ids[:2:-1] and not later.has_next
    objects = paging.paginate(select(Seller).where(Seller.id.in_(ids)).order_by(Seller.id), 2, 3)
    assert [seller.id for seller in objects] == ids[3:]
    with pytest.raises(NotFound):
        paging.paginate(newest_first, 4, 2, rows=True, params={"first": ids[0]})


def test_a_statement_built_for_one_request_is_not_kept(app):
    factories.make_seller()
    kept = len(paging._PAGED)
    paging.paginate(select(Seller.id).order_by(Seller.id), 1, 2, rows=True)
    gc.collect()
    assert len(paging._PAGED) == kept
