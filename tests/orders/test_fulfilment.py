"""Each household sees and moves only its own part; the buyer sees the parts move."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update as sa_update

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.money.payments import open_payment, record_intent
from marketplace.orders import inbox as order_inbox
from marketplace.orders import lifecycle
from marketplace.orders.models import OrderPart, PartStatus
from tests import factories


def paid_order(gateway, *lines, **details):
    order = factories.make_order(*lines, **details)
    payment = open_payment(order.id, gateway)
    record_intent(
        gateway.complete(payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True)
    )
    db.session.commit()
    return order


@pytest.fixture
def two_households(payment_gateway):
    amplang = factories.make_seller(shop_name="Amplang Ibu A")
    rotan = factories.make_seller(shop_name="Rotan Ibu B")
    order = paid_order(
        payment_gateway,
        (factories.make_product(seller=amplang), 2),
        (factories.make_product(seller=rotan), 1),
    )
    parts = {part.seller_id: part for part in order.parts}
    return order, (amplang, parts[amplang.id]), (rotan, parts[rotan.id])


def test_a_household_sees_only_its_own_part(client, login_as, two_households):
    order, (amplang, mine), (_rotan, theirs) = two_households
    login_as(user=amplang.user)
    inbox = client.get("/penjual/pesanan").get_data(as_text=True)
    assert f"/penjual/pesanan/{mine.id}" in inbox and f'/{theirs.id}"' not in inbox
    assert client.get(f"/penjual/pesanan/{mine.id}").status_code == 200
    assert client.get(f"/penjual/pesanan/{theirs.id}").status_code == 404
    response = client.post(f"/penjual/pesanan/{theirs.id}", data={"action": "accept"})
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == PartStatus.NEW.value


def test_accept_then_ship_and_the_buyer_sees_it(client, login_as, two_households):
    order, (amplang, mine), _ = two_households
    login_as(user=amplang.user)
    url = f"/penjual/pesanan/{mine.id}"
    assert client.post(url, data={"action": "accept"}).status_code == 303
    refused = client.post(url, data={"action": "ship", "courier": "", "tracking_number": ""})
    assert refused.status_code == 409 and "Isi nama kurir" in refused.get_data(as_text=True)
    shipped = client.post(
        url, data={"action": "ship", "courier": "J&T", "tracking_number": "JT0012345678"}
    )
    assert shipped.status_code == 303
    db.session.refresh(mine)
    assert (mine.status, mine.courier, mine.tracking_number) == ("shipped", "J&T", "JT0012345678")
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Dikirim" in page and "JT0012345678" in page and "https://wa.me/62" in page
    assert "Pesanan baru, menunggu penjual" in page  # the other household has not moved yet


def test_moves_out_of_order_are_refused():
    seller = factories.make_seller()
    from marketplace.payments.gateway import TestGateway

    order = paid_order(TestGateway("whsec_x"), (factories.make_product(seller=seller), 1))
    part = order.parts[0]
    with pytest.raises(lifecycle.MoveRefused):
        order_inbox.move_part_for_seller(part.id, seller.id, "ship", actor_id=seller.user_id)
    with pytest.raises(lifecycle.MoveRefused):
        order_inbox.move_part_for_seller(part.id, seller.id, "ready", actor_id=seller.user_id)
    with pytest.raises(lifecycle.MoveRefused):
        order_inbox.move_part_for_seller(part.id, seller.id, "teleport", actor_id=seller.user_id)
    order_inbox.move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    with pytest.raises(lifecycle.MoveRefused):
        order_inbox.move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    moves = [(e.from_status, e.to_status, e.actor_kind) for e in order.events if e.part_id]
    assert moves[-1] == ("new", "accepted", "seller")


def test_pickup_parts_become_ready_for_pickup_then_delivered(payment_gateway):
    seller = factories.make_seller(region_slug="tarakan")
    order = paid_order(
        payment_gateway,
        (factories.make_product(seller=seller), 1),
        delivery="pickup",
        district="",
        street="",
        postal_code="",
    )
    part = order.parts[0]
    for action in ("accept", "ready", "delivered"):
        order_inbox.move_part_for_seller(part.id, seller.id, action, actor_id=seller.user_id)
    assert part.status == PartStatus.DELIVERED.value


def test_unpaid_parts_are_not_shown_to_the_household(client, login_as):
    seller = factories.make_seller()
    order = factories.make_order((factories.make_product(seller=seller), 1))
    db.session.commit()
    login_as(user=seller.user)
    assert client.get(f"/penjual/pesanan/{order.parts[0].id}").status_code == 404


@pytest.mark.parametrize("role", [Role.BUYER, Role.REVIEWER, Role.OFFICER])
def test_people_without_a_shop_get_no_inbox(client, login_as, role):
    login_as(role)
    assert client.get("/penjual/pesanan").status_code == 403


def test_a_seller_account_without_a_shop_gets_a_404(client, login_as):
    login_as(Role.SELLER)
    assert client.get("/penjual/pesanan").status_code == 404


def test_signed_in_buyers_see_their_orders(client, login_as):
    user = login_as(Role.BUYER)
    order = factories.make_order((factories.make_product(), 1), user=user)
    db.session.commit()
    assert order.number in client.get("/akun/pesanan").get_data(as_text=True)


def test_order_page_and_inbox_queries_do_not_grow_with_households(
    client, login_as, count_queries, payment_gateway
):
    seller = factories.make_seller()
    small = paid_order(payment_gateway, (factories.make_product(seller=seller), 1))
    lines = [(factories.make_product(seller=factories.make_seller()), 1) for _ in range(4)]
    big = paid_order(payment_gateway, (factories.make_product(seller=seller), 1), *lines)
    counts = []
    for order in (small, big):
        with count_queries() as queries:
            assert client.get(f"/pesanan/{order.access_token}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    login_as(user=seller.user)
    with count_queries() as queries:
        assert client.get("/penjual/pesanan").status_code == 200
    first = len(queries)
    paid_order(payment_gateway, (factories.make_product(seller=seller), 2))
    with count_queries() as queries:
        client.get("/penjual/pesanan")
    assert len(queries) == first


def test_the_buyer_cancels_one_part_before_it_ships(client, two_households, payment_gateway):
    from marketplace.money.payments import refunds_of

    order, (amplang, mine), (rotan, theirs) = two_households
    product = db.session.get(Product, mine.lines[0].product_id)
    stock = product.stock
    url = f"/pesanan/{order.access_token}/batal/{mine.id}"
    assert client.post(url).status_code == 303
    assert client.post(url).status_code == 303  # a second tap: refused, nothing more
    db.session.expire_all()
    assert db.session.get(OrderPart, mine.id).status == PartStatus.CANCELLED.value
    assert db.session.get(OrderPart, theirs.id).status == PartStatus.NEW.value
    assert db.session.get(Product, product.id).stock == stock + 2
    [refund] = refunds_of(order.id)
    share = mine.items_amount + mine.shipping_amount
    assert (refund.part_id, refund.amount, refund.status) == (mine.id, share, "succeeded")
    assert list(payment_gateway.refunds) == [f"part-{mine.id}-refund"]
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Dibatalkan" in page and "Dikembalikan" in page


def test_a_shipped_part_cannot_be_cancelled(client, two_households):
    order, (amplang, mine), _ = two_households
    for action, extra in (("accept", {}), ("ship", {"courier": "JNE", "tracking_number": "1"})):
        order_inbox.move_part_for_seller(mine.id, amplang.id, action, actor_id=1, **extra)
    db.session.commit()
    response = client.post(f"/pesanan/{order.access_token}/batal/{mine.id}")
    assert response.status_code == 303
    db.session.refresh(mine)
    assert mine.status == PartStatus.SHIPPED.value


def test_another_orders_part_cannot_be_cancelled(client, two_households, payment_gateway):
    _, _, (_, theirs) = two_households
    other = paid_order(payment_gateway, (factories.make_product(), 1))
    assert client.post(f"/pesanan/{other.access_token}/batal/{theirs.id}").status_code == 404


def test_a_part_the_buyer_cancels_stays_in_the_inbox_as_cancelled(client, login_as, two_households):
    from marketplace.money.refunds import cancel_part_by_buyer

    order, (amplang, mine), _ = two_households
    cancel_part_by_buyer(order.id, mine.id, actor_id=None)
    db.session.commit()
    login_as(user=amplang.user)
    inbox = client.get("/penjual/pesanan").get_data(as_text=True)
    assert f"/penjual/pesanan/{mine.id}" in inbox and "Dibatalkan" in inbox
    page = client.get(f"/penjual/pesanan/{mine.id}").get_data(as_text=True)
    assert "Dibatalkan oleh pembeli" in page and "Tidak perlu dibuat atau dikirim." in page
    assert "Terima pesanan" not in page
    refused = client.post(f"/penjual/pesanan/{mine.id}", data={"action": "accept"})
    assert refused.status_code == 409
    db.session.refresh(mine)
    assert mine.status == PartStatus.CANCELLED.value


def test_a_late_payment_given_back_never_reaches_the_inbox(client, login_as):
    """An order paid after it expired, its stock gone: cancelled before any household had it."""
    import datetime as dt

    household = factories.make_seller(shop_name="Madu Kelulut Ibu C")
    order = factories.make_order((factories.make_product(seller=household), 1))
    db.session.commit()
    assert lifecycle.expire_order(order.id, now=order.expires_at + dt.timedelta(minutes=1))
    assert lifecycle.mark_order_refunded(order)
    db.session.commit()
    [part] = order.parts
    assert part.status == PartStatus.CANCELLED.value
    login_as(user=household.user)
    assert f"/penjual/pesanan/{part.id}" not in client.get("/penjual/pesanan").text
    assert client.get(f"/penjual/pesanan/{part.id}").status_code == 404


def test_each_part_keeps_its_orders_payment_time_for_the_inbox(client, login_as, payment_gateway):
    household = factories.make_seller()
    older = paid_order(payment_gateway, (factories.make_product(seller=household), 1))
    newer = paid_order(payment_gateway, (factories.make_product(seller=household), 1))
    for order in (older, newer):
        db.session.refresh(order)
        assert order.paid_at is not None
        assert [part.paid_at for part in order.parts] == [order.paid_at]
    # the payment time orders the inbox, not the part's id
    db.session.execute(
        sa_update(OrderPart)
        .where(OrderPart.order_id == older.id)
        .values(paid_at=newer.paid_at + dt.timedelta(minutes=1))
    )
    db.session.commit()
    login_as(user=household.user)
    page = client.get("/penjual/pesanan").get_data(as_text=True)
    first, second = (order.parts[0].id for order in (older, newer))
    assert page.index(f'/penjual/pesanan/{first}"') < page.index(f'/penjual/pesanan/{second}"')
