"""A paid order whose every part was cancelled or given back says so to the buyer, on its
page and in "Pesanan saya", instead of still reading "Dibayar"."""

from __future__ import annotations

import re

import pytest

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.rupiah import format_rupiah
from tests import factories

IN_FULL = "Dibatalkan, dana dikembalikan seluruhnya"


@pytest.fixture
def bought(login_as):
    """A signed-in buyer's paid order from two households; the client is signed in as them."""
    buyer = login_as(Role.BUYER)
    order = factories.make_paid_order(
        (factories.make_product(price=120000, stock=5), 1),
        (factories.make_product(price=45000, stock=5), 2),
        user=buyer,
    )
    db.session.commit()
    return buyer, order


def order_status_on(page: str) -> str:
    return re.search(r'<p class="order-status status-[a-z_]+">([^<]+)</p>', page).group(1)


def my_orders_line(client, order) -> str:
    page = client.get("/akun/pesanan").get_data(as_text=True)
    return next(line for line in page.splitlines() if order.number in line)


def test_an_order_an_admin_refunded_in_full_reads_refunded(client, login_as, bought):
    buyer, order = bought
    login_as(Role.ADMIN)
    data = {"action": "refund_order", "refund_key": "all-1", "reason": "Stok rusak"}
    assert client.post(f"/admin/pesanan/{order.id}", data=data).status_code == 303
    login_as(user=buyer)

    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert order_status_on(page) == IN_FULL
    assert "Seluruh pesanan ini dibatalkan atau dikembalikan" in page
    assert format_rupiah(order.total_amount) in page
    assert "Batalkan bagian ini" not in page
    line = my_orders_line(client, order)
    assert IN_FULL in line and "Dibayar" not in line


def test_cancelling_every_part_oneself_reads_refunded_too(client, bought):
    _, order = bought
    for part in order.parts:
        assert client.post(f"/pesanan/{order.access_token}/batal/{part.id}").status_code == 303
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert order_status_on(page) == IN_FULL
    assert IN_FULL in my_orders_line(client, order)


def test_a_partly_refunded_order_is_still_paid_and_offers_what_is_left(client, login_as, bought):
    buyer, order = bought
    part = order.parts[0]
    login_as(Role.ADMIN)
    data = {
        "action": "partial",
        "part_id": part.id,
        "amount": "20000",
        "refund_key": "some-1",
        "reason": "Kemasan penyok",
    }
    assert client.post(f"/admin/pesanan/{order.id}", data=data).status_code == 303
    login_as(user=buyer)

    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert order_status_on(page) == "Dibayar"
    assert IN_FULL not in page and "Dibayar" in my_orders_line(client, order)
    # Cancelling now gives back what is left of that household's share, and says so.
    left = part.items_amount + part.shipping_amount - 20000
    assert f"Batalkan bagian ini ({format_rupiah(left)} dikembalikan)" in page


def test_my_orders_reads_the_refunds_in_one_query(client, count_queries, bought):
    buyer, order = bought
    with count_queries() as queries:
        client.get("/akun/pesanan")
    first = len(queries)
    for _ in range(3):
        factories.make_paid_order((factories.make_product(), 1), user=buyer)
    db.session.commit()
    with count_queries() as queries:
        client.get("/akun/pesanan")
    assert len(queries) == first
