"""The household's part page (GET) reads its part as rows: the same part, order and lines as
the object the steps load, under the same rule of which parts a household may open."""

from __future__ import annotations

import pytest

from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.orders import inbox
from marketplace.orders.models import PartStatus
from tests import factories


@pytest.fixture
def two_households(payment_gateway):
    amplang = factories.make_seller(shop_name="Amplang Ibu A")
    rotan = factories.make_seller(shop_name="Rotan Ibu B")
    product = factories.make_product(seller=amplang, name="Amplang Tenggiri")
    [pedas, _manis] = factories.make_options(product, ("Pedas", 25_000, 9), ("Manis", 24_000, 9))
    order = factories.make_paid_order(
        (pedas, 2),
        (factories.make_product(seller=amplang, name="Kerupuk Ikan"), 1),
        (factories.make_product(seller=rotan), 1),
        gateway=payment_gateway,
    )
    db.session.commit()
    parts = {part.seller_id: part for part in order.parts}
    return order, (amplang, parts[amplang.id]), (rotan, parts[rotan.id])


def as_read(part) -> tuple:
    """What the page shows of a part, read from either the object or the rows."""
    order = part.order
    return (
        (part.id, part.order_id, part.status, part.delivery, part.courier),
        (part.courier_service, part.tracking_number, part.shipment_id, part.shipping_amount),
        (order.id, order.number, order.status, order.quote_id, order.contact_name),
        (order.contact_whatsapp, order.street, order.district, order.city, order.province),
        order.postal_code,
        [(line.quantity, line.full_name, line.line_amount) for line in part.lines],
    )


def test_the_rows_agree_with_the_part_the_steps_load(two_households):
    _order, (amplang, mine), _ = two_households
    page = inbox.part_page_of(mine.id, amplang.id)
    loaded = inbox.get_part_for_seller(mine.id, amplang.id)
    assert as_read(page) == as_read(loaded)
    assert [line.full_name for line in page.lines] == ["Amplang Tenggiri (Pedas)", "Kerupuk Ikan"]


def test_the_rows_follow_a_step(two_households):
    _order, (amplang, mine), _ = two_households
    inbox.move_part_for_seller(mine.id, amplang.id, "accept", actor_id=amplang.user_id)
    inbox.move_part_for_seller(
        mine.id, amplang.id, "ship", actor_id=amplang.user_id, courier="J&T", tracking_number="JT1"
    )
    db.session.commit()
    page = inbox.part_page_of(mine.id, amplang.id)
    assert (page.status, page.courier, page.tracking_number) == ("shipped", "J&T", "JT1")
    assert as_read(page) == as_read(inbox.get_part_for_seller(mine.id, amplang.id))


def test_another_households_part_and_an_unpaid_one_are_not_found(two_households):
    _order, (amplang, _mine), (rotan, theirs) = two_households
    with pytest.raises(NotFound):
        inbox.part_page_of(theirs.id, amplang.id)
    unpaid = factories.make_order((factories.make_product(seller=rotan), 1))
    db.session.commit()
    for part_id in (theirs.id, unpaid.parts[0].id):
        with pytest.raises(NotFound):
            inbox.part_page_of(part_id, amplang.id)
    with pytest.raises(NotFound):
        inbox.part_page_of(unpaid.parts[0].id, rotan.id)


def test_a_part_cancelled_after_it_reached_the_household_still_opens(two_households):
    from marketplace.money.refunds import cancel_part_by_buyer

    order, (amplang, mine), _ = two_households
    cancel_part_by_buyer(order.id, mine.id, actor_id=None)
    db.session.commit()
    page = inbox.part_page_of(mine.id, amplang.id)
    assert page.status == PartStatus.CANCELLED.value
    assert inbox.cancellation_of(page).actor_kind == "buyer"


def test_the_page_offers_the_step_of_each_status(client, login_as, two_households):
    _order, (amplang, mine), _ = two_households
    login_as(user=amplang.user)
    url = f"/penjual/pesanan/{mine.id}"
    page = client.get(url).get_data(as_text=True)
    assert "2 × Amplang Tenggiri (Pedas)" in page and "Terima pesanan" in page
    assert client.post(url, data={"action": "accept"}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Tandai sudah dikirim" in page and 'name="tracking_number"' in page
    assert "Tidak bisa memenuhi pesanan ini?" in page
    shipped = {"action": "ship", "courier": "J&T", "tracking_number": "JT0012345678"}
    assert client.post(url, data=shipped).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Tandai sudah sampai" in page and "Tidak bisa memenuhi pesanan ini?" not in page
