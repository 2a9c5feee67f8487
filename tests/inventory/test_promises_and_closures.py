"""The quote's capacity check reads holds, production days and closures in one statement:
it finds what the three reads of their own find, each by its own conditions."""

from __future__ import annotations

import datetime as dt

from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.inventory.models import CapacityHold, ProductionDay, ShopClosure
from marketplace.inventory.stock import closures_of, promises_and_closures, promises_on
from tests import factories


def _sorted(promises):
    return {key: sorted(found, key=repr) for key, found in promises.items()}


def test_one_statement_finds_what_the_three_reads_find():
    today = today_local()
    day = dt.timedelta(days=1)
    now = now_utc()
    shop, other_shop, quiet_shop = (factories.make_seller() for _ in range(3))
    kain = factories.make_product(seller=shop, name="Kain Uji")
    amplang = factories.make_product(seller=other_shop, name="Amplang Uji")
    lampit = factories.make_product(seller=quiet_shop, name="Lampit Uji")
    unasked = factories.make_product(seller=shop, name="Tidak Ditanya")
    quote = factories.make_quote(products=[kain])
    later = now + dt.timedelta(days=3)
    db.session.add_all(
        [
            CapacityHold(product_id=kain.id, quantity=4, due_on=today + 5 * day, expires_at=later),
            CapacityHold(
                product_id=kain.id,
                quote_id=quote.id,
                quantity=7,
                due_on=today + 6 * day,
                expires_at=later,
            ),
            CapacityHold(  # expired
                product_id=kain.id, quantity=9, due_on=today + 2 * day, expires_at=now - day
            ),
            CapacityHold(  # released
                product_id=amplang.id,
                quantity=8,
                due_on=today + 2 * day,
                expires_at=later,
                released_at=now,
            ),
            CapacityHold(product_id=unasked.id, quantity=3, due_on=today + day, expires_at=later),
            ProductionDay(
                product_id=amplang.id, day=today + 2 * day, units_capacity=9, units_taken=2
            ),
            ProductionDay(product_id=amplang.id, day=today, units_capacity=9, units_taken=5),
            ProductionDay(product_id=amplang.id, day=today + 3 * day, units_capacity=9),
            ProductionDay(product_id=kain.id, day=today + 4 * day, units_capacity=9, units_taken=1),
            ShopClosure(seller_id=shop.id, starts_on=today + 9 * day, ends_on=today + 12 * day),
            ShopClosure(
                seller_id=shop.id, starts_on=today + day, ends_on=today + 2 * day, message="Libur"
            ),
            ShopClosure(seller_id=shop.id, starts_on=today - 5 * day, ends_on=today - day),
            ShopClosure(
                seller_id=other_shop.id,
                starts_on=today + day,
                ends_on=today + 3 * day,
                cancelled_at=now,
            ),
        ]
    )
    db.session.flush()
    ids = [kain.id, amplang.id, lampit.id]
    sellers = [shop.id, other_shop.id, quiet_shop.id, shop.id]

    for excluded in (None, quote.id):
        promises, closures = promises_and_closures(ids, sellers, today, excluded)
        assert _sorted(promises) == _sorted(promises_on(ids, today, excluded))
        assert closures == closures_of(sellers, today)
        assert set(promises) == set(ids)
    assert len(promises[kain.id]) == 2  # the quote's own hold left out, the production kept
    held, _ = promises_and_closures(ids, sellers, today)
    assert len(held[kain.id]) == 3 and len(held[amplang.id]) == 1 and held[lampit.id] == []
    assert [c.starts_on for c in closures[shop.id]] == [today + day, today + 9 * day]
    assert closures[shop.id][0].message == "Libur"
    assert other_shop.id not in closures and quiet_shop.id not in closures
    assert promises_and_closures([], sellers, today) == ({}, {})
