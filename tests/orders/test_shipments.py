"""Booking the courier from the part page and tracking it by Biteship's webhook
(tests/biteship_server over HTTP; the webhook posted to the app as Biteship would)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.orders.models import OrderEvent, ShipmentEvent
from tests import factories


@pytest.fixture
def accepted_part(client, login_as, biteship):
    """A paid part from Tarakan to Samarinda whose buyer chose JNE Reguler, accepted by its
    household (signed in)."""
    product = factories.make_product(price=60_000)
    seller = product.seller
    order = factories.make_paid_order(
        (product, 2),
        province="Kalimantan Timur",
        city="Samarinda",
        rate_choices={seller.id: "jne:reg"},
    )
    [part] = order.parts
    login_as(user=seller.user)
    assert client.post(f"/penjual/pesanan/{part.id}", data={"action": "accept"}).status_code == 303
    return part


def _webhook(client, biteship, event, secret=None):
    return client.post(
        "/kurir/biteship",
        json=event,
        headers={biteship.webhook_header: biteship.webhook_secret if secret is None else secret},
    )


def _booked(client, part) -> str:
    page = client.post(f"/penjual/pesanan/{part.id}/kurir")
    assert page.status_code == 303
    db.session.refresh(part)
    return part.shipment_id


def test_the_household_books_the_courier_and_gets_the_waybill(client, biteship, accepted_part):
    part = accepted_part
    page = client.get(f"/penjual/pesanan/{part.id}").text
    assert "Pembeli memilih JNE Reguler" in page and "Pesan kurir" in page
    shipment_id = _booked(client, part)
    sent = biteship.orders[shipment_id].payload
    assert (sent["courier_company"], sent["courier_type"]) == ("jne", "reg")
    assert (sent["origin_postal_code"], sent["destination_contact_name"]) == (77111, "Rina Pembeli")
    assert part.tracking_number == biteship.orders[shipment_id].waybill_id
    page = client.get(f"/penjual/pesanan/{part.id}").text
    assert part.tracking_number in page and "Pesan kurir" not in page
    # a second tap books nothing more
    assert client.post(f"/penjual/pesanan/{part.id}/kurir").status_code == 409
    assert len(biteship.orders) == 1


def test_tracking_moves_the_part_once_in_any_order_and_the_buyer_sees_it(
    client, biteship, accepted_part
):
    part = accepted_part
    shipment_id = _booked(client, part)
    picked = biteship.advance(shipment_id, "picked", "Paket diambil di Tarakan")
    delivered = biteship.advance(shipment_id, "delivered", "Diterima oleh Rina")
    # delivered first: the part is shipped, then delivered, in one go
    assert _webhook(client, biteship, delivered).text == "moved"
    db.session.refresh(part)
    assert part.status == "delivered"
    # the late "picked" and a repeated "delivered" change nothing
    assert _webhook(client, biteship, picked).text == "stored"
    assert _webhook(client, biteship, delivered).text == "repeated"
    db.session.refresh(part)
    assert part.status == "delivered"
    moves = db.session.scalars(
        select(OrderEvent.to_status).where(OrderEvent.part_id == part.id).order_by(OrderEvent.id)
    ).all()
    assert moves[-2:] == ["shipped", "delivered"]
    assert moves.count("delivered") == 1
    steps = db.session.scalars(select(ShipmentEvent.status).order_by(ShipmentEvent.id)).all()
    assert sorted(steps) == ["delivered", "picked"]
    page = client.get(f"/pesanan/{part.order.access_token}").text
    assert "Paket diambil kurir: Paket diambil di Tarakan" in page
    assert "Paket sampai: Diterima oleh Rina" in page
    assert page.index("Paket diambil kurir") < page.index("Paket sampai")


def test_a_webhook_without_the_secret_changes_nothing(client, biteship, accepted_part):
    part = accepted_part
    shipment_id = _booked(client, part)
    event = biteship.advance(shipment_id, "delivered")
    assert _webhook(client, biteship, event, secret="guessed").status_code == 401
    db.session.refresh(part)
    assert part.status == "accepted"
    assert db.session.scalar(select(ShipmentEvent)) is None


def test_a_zone_table_part_keeps_the_waybill_typed_by_hand(client, login_as):
    product = factories.make_product()
    order = factories.make_paid_order((product, 1), province="Kalimantan Timur", city="Samarinda")
    [part] = order.parts
    login_as(user=product.seller.user)
    client.post(f"/penjual/pesanan/{part.id}", data={"action": "accept"})
    page = client.get(f"/penjual/pesanan/{part.id}").text
    assert "Pesan kurir" not in page and 'name="tracking_number"' in page
    assert client.post(f"/penjual/pesanan/{part.id}/kurir").status_code == 409
    shipped = client.post(
        f"/penjual/pesanan/{part.id}",
        data={"action": "ship", "courier": "Kapal Nunukan", "tracking_number": "KN-77"},
    )
    assert shipped.status_code == 303
    db.session.refresh(part)
    assert (part.status, part.tracking_number) == ("shipped", "KN-77")
