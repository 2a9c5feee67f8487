"""Booking the courier from the part page and tracking it by Biteship's webhook
(tests/biteship_server over HTTP; the webhook posted to the app as Biteship would)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from marketplace.orders import shipments
from marketplace.orders.models import CourierBooking, OrderEvent, OrderPart, ShipmentEvent
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
    assert _webhook(client, biteship, picked).text == "repeated"
    assert _webhook(client, biteship, delivered).text == "repeated"
    db.session.refresh(part)
    assert part.status == "delivered"
    moves = db.session.scalars(
        select(OrderEvent.to_status).where(OrderEvent.part_id == part.id).order_by(OrderEvent.id)
    ).all()
    assert moves[-2:] == ["shipped", "delivered"]
    assert moves.count("delivered") == 1
    steps = db.session.scalars(select(ShipmentEvent.status).order_by(ShipmentEvent.id)).all()
    assert sorted(steps) == ["confirmed", "delivered", "picked"]
    page = client.get(f"/pesanan/{part.order.access_token}").text
    assert "Paket diambil kurir: Paket diambil di Tarakan" in page
    assert "Paket sampai: Diterima oleh Rina" in page
    assert page.index("Kurir dipesan") < page.index("Paket diambil kurir")
    assert page.index("Paket diambil kurir") < page.index("Paket sampai")


def test_the_buyer_reads_each_step_in_wita(client, biteship, accepted_part):
    part = accepted_part
    shipment_id = _booked(client, part)
    biteship.advance(shipment_id, "picked", "Paket diambil di Tarakan")
    # Biteship writes its times in WIB (+07:00): 09:30 WIB is 10:30 WITA
    biteship.orders[shipment_id].history[-1]["updated_at"] = "2026-12-07T09:30:00+07:00"
    assert _webhook(client, biteship, biteship.pending[-1]).text == "moved"
    page = client.get(f"/pesanan/{part.order.access_token}").text
    assert "7 Desember 2026 10:30 WITA</time> · Paket diambil kurir" in page


def test_a_webhook_without_the_secret_changes_nothing(client, biteship, accepted_part):
    part = accepted_part
    shipment_id = _booked(client, part)
    event = biteship.advance(shipment_id, "delivered")
    assert _webhook(client, biteship, event, secret="guessed").status_code == 401
    db.session.refresh(part)
    assert part.status == "accepted"
    assert db.session.scalar(select(ShipmentEvent)) is None


def test_a_body_that_biteship_does_not_confirm_moves_nothing(client, biteship, accepted_part):
    """Even with the header, the body only names the order: Biteship is asked what it is."""
    part = accepted_part
    shipment_id = _booked(client, part)
    forged = {"event": "order.status", "order_id": shipment_id, "status": "delivered"}
    assert _webhook(client, biteship, forged).text == "stored"  # Biteship says: confirmed
    db.session.refresh(part)
    assert part.status == "accepted"
    steps = db.session.scalars(select(ShipmentEvent.status)).all()
    assert steps == ["confirmed"]
    unknown = {"event": "order.status", "order_id": "bs-not-ours", "status": "delivered"}
    assert _webhook(client, biteship, unknown).text == "unknown"


def test_the_dashboard_test_and_bad_bodies_get_a_clear_answer(client, biteship):
    # Biteship's dashboard checks a new URL with a POST of its own, with no body
    assert client.post("/kurir/biteship", data=b"").status_code == 200
    headers = {biteship.webhook_header: biteship.webhook_secret}
    not_json = client.post("/kurir/biteship", data=b"{resi", headers=headers)
    assert not_json.status_code == 400 and "JSON" in not_json.text
    listed = client.post("/kurir/biteship", json=["order.status"], headers=headers)
    assert listed.status_code == 400
    for kind in (["order.status"], {"a": 1}, 7, None):
        odd_kind = client.post("/kurir/biteship", json={"event": kind}, headers=headers)
        assert (odd_kind.status_code, odd_kind.text) == (200, "ignored")
    other = client.post("/kurir/biteship", json={"event": "order.created"}, headers=headers)
    assert (other.status_code, other.text) == (200, "ignored")
    odd = client.post(
        "/kurir/biteship", json={"event": "order.status", "order_id": 42}, headers=headers
    )
    assert odd.status_code == 400 and "order_id" in odd.text


def test_biteship_unreachable_is_a_503_and_the_event_counts_when_sent_again(
    client, biteship, accepted_part
):
    part = accepted_part
    shipment_id = _booked(client, part)
    event = biteship.advance(shipment_id, "picked")
    biteship.down = True
    answer = _webhook(client, biteship, event)
    assert answer.status_code == 503
    db.session.refresh(part)
    assert part.status == "accepted"
    biteship.down = False
    assert _webhook(client, biteship, event).text == "moved"
    db.session.refresh(part)
    assert part.status == "shipped"


def test_a_waybill_issued_after_booking_reaches_the_part_and_the_buyer(
    client, biteship, accepted_part
):
    part = accepted_part
    biteship.waybill_later = True
    answer = client.post(f"/penjual/pesanan/{part.id}/kurir", follow_redirects=True)
    assert "Nomor resi menyusul dari kurir" in answer.text
    db.session.refresh(part)
    assert part.shipment_id and part.tracking_number == ""
    event = biteship.rewaybill(part.shipment_id, "JNE0012345678")
    assert _webhook(client, biteship, event).text == "stored"
    assert _webhook(client, biteship, event).text == "repeated"
    db.session.refresh(part)
    assert part.tracking_number == "JNE0012345678"
    page = client.get(f"/pesanan/{part.order.access_token}").text
    assert "nomor resi JNE0012345678" in page
    # a stale waybill event arriving after a newer one does not bring the old number back
    newer = biteship.rewaybill(part.shipment_id, "JNE0099999999")
    assert _webhook(client, biteship, newer).text == "stored"
    assert _webhook(client, biteship, event).text == "repeated"
    db.session.refresh(part)
    assert part.tracking_number == "JNE0099999999"


def test_a_new_price_is_shown_to_the_admin_and_not_charged_to_the_buyer(
    client, login_as, biteship, accepted_part
):
    part = accepted_part
    shipment_id = _booked(client, part)
    paid = part.order.total_amount
    assert part.shipping_amount == 24_000  # JNE Reguler, one kilogram
    first = biteship.reprice(shipment_id, 48_000)  # the courier found 2 kg
    second = biteship.reprice(shipment_id, 36_000)
    # the later event first, then the earlier one: Biteship's price now wins either way
    assert _webhook(client, biteship, second).text == "stored"
    assert _webhook(client, biteship, first).text == "repeated"
    booking = db.session.scalar(select(CourierBooking))
    assert booking.price_amount == 36_000
    db.session.refresh(part)
    assert (part.shipping_amount, part.order.total_amount) == (24_000, paid)
    page = client.get(f"/penjual/pesanan/{part.id}").text
    told = "Biteship kini menagih Rp36.000 untuk paket ini (pembeli membayar ongkir Rp24.000)"
    assert told in page
    login_as("admin")
    page = client.get("/admin/kurir").text
    repriced = page[page.index("data-repriced") :]
    assert "Rp24.000" in repriced and "Rp36.000" in repriced and "Rp12.000" in repriced


def test_cancelling_a_booked_part_cancels_its_courier_once(client, biteship, accepted_part):
    part = accepted_part
    shipment_id = _booked(client, part)
    answer = client.post(f"/pesanan/{part.order.access_token}/batal/{part.id}")
    assert answer.status_code == 303
    db.session.refresh(part)
    assert part.status == "cancelled"
    # after the commit, by a job: Biteship's order is cancelled with a reason
    assert biteship.orders[shipment_id].status == "cancelled"
    [(cancelled, body)] = biteship.cancel_requests
    assert cancelled == shipment_id and "dibatalkan" in body["cancellation_reason"]
    booking = db.session.scalar(select(CourierBooking))
    assert booking.cancel_status == "cancelled"
    # run again (a queue delivering twice) or swept: Biteship is not asked again
    assert shipments.cancel_courier(part.id) == "nothing"
    assert shipments.queue_lost_cancellations() == 0
    assert len(biteship.cancel_requests) == 1


def test_a_cancellation_biteship_refuses_is_shown_to_the_admin_not_the_buyer(
    client, login_as, biteship, accepted_part
):
    part = accepted_part
    shipment_id = _booked(client, part)
    biteship.down = True
    answer = client.post(
        f"/pesanan/{part.order.access_token}/batal/{part.id}", follow_redirects=True
    )
    assert "Bagian pesanan dibatalkan" in answer.text
    db.session.refresh(part)
    assert part.status == "cancelled"
    booking = db.session.scalar(select(CourierBooking))
    assert booking.cancel_status == "failed" and "503" in booking.cancel_note
    assert shipments.queue_lost_cancellations() == 0  # a refusal is the admin's, not a retry
    biteship.down = False
    login_as(user=part.seller.user)
    page = client.get(f"/penjual/pesanan/{part.id}").text
    assert "Jangan serahkan paket bila kurir datang" in page
    login_as("admin")
    page = client.get("/admin/kurir").text
    failed = page[page.index("data-failed") :]
    assert part.seller.shop_name in failed and "503" in failed
    assert biteship.orders[shipment_id].status == "confirmed"


def test_a_cancellation_whose_job_was_lost_is_swept(app, client, biteship, accepted_part):
    part = accepted_part
    shipment_id = _booked(client, part)
    # the part cancelled as if its job never reached a worker
    db.session.execute(update(OrderPart).where(OrderPart.id == part.id).values(status="cancelled"))
    db.session.commit()
    assert shipments.queue_lost_cancellations() == 1
    db.session.commit()
    run_pending_jobs()
    assert biteship.orders[shipment_id].status == "cancelled"
    assert shipments.queue_lost_cancellations() == 0


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
