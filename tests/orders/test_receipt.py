"""The buyer closes the loop with "Pesanan diterima"; a household declines a paid public
part it cannot make, with a reason: refunded in full, stock back, the buyer told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from marketplace.money import services
from marketplace.money.payments import refunds_of
from marketplace.orders import inbox as order_inbox
from marketplace.orders.models import OrderEvent, OrderPart, PartStatus
from tests import factories


def ship(part, *, pickup: bool = False) -> None:
    for step in ("accept", "ready" if pickup else "ship"):
        order_inbox.move_part_for_seller(
            part.id,
            part.seller_id,
            step,
            actor_id=part.seller.user_id,
            courier="JNE",
            tracking_number="JNE77",
        )


@pytest.fixture
def buyer():
    return factories.make_user(roles=[Role.BUYER], name="Ibu Pembeli")


@pytest.fixture
def shipped(buyer):
    """A buyer's paid order of one household's amplang, shipped."""
    seller = factories.make_seller(shop_name="Amplang Ibu Sari")
    order = factories.make_paid_order(
        (factories.make_product(seller=seller, price=60_000), 2), user=buyer
    )
    part = order.parts[0]
    ship(part)
    db.session.commit()
    return order, part


def refreshed(part) -> OrderPart:
    db.session.expire_all()
    return db.session.get(OrderPart, part.id)


# --- "Pesanan diterima" -------------------------------------------------------------------


def test_pesanan_diterima_delivers_the_part_and_frees_its_money(client, login_as, buyer, shipped):
    order, part = shipped
    pending = services.balances_of(part.seller_id).pending
    assert pending > part.shipping_amount > 0
    login_as(user=buyer)
    url = f"/pesanan/{order.access_token}"
    page = client.get(url).get_data(as_text=True)
    assert "Pesanan diterima" in page and f"/diterima/{part.id}" in page

    response = client.post(f"{url}/diterima/{part.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Terima kasih! Pesanan ditandai sudah diterima." in page
    assert "Sampai di pembeli" in page and "Beri ulasan" in page
    assert f"/diterima/{part.id}" not in page
    assert refreshed(part).status == PartStatus.DELIVERED.value
    balances = services.balances_of(part.seller_id)
    assert (balances.pending, balances.available) == (0, pending)
    event = db.session.scalar(
        select(OrderEvent).where(
            OrderEvent.part_id == part.id, OrderEvent.to_status == PartStatus.DELIVERED.value
        )
    )
    assert (event.actor_kind, event.actor_id) == ("buyer", buyer.id)

    # A second tap (another tab, a slow network): told so, nothing more.
    again = client.post(f"{url}/diterima/{part.id}", follow_redirects=True)
    assert again.status_code == 200
    assert "Bagian ini sudah ditandai diterima sebelumnya." in again.get_data(as_text=True)
    assert services.balances_of(part.seller_id).available == pending


def test_a_part_not_yet_sent_cannot_be_confirmed(client, login_as, buyer):
    order = factories.make_paid_order((factories.make_product(), 1), user=buyer)
    part = order.parts[0]
    login_as(user=buyer)
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Pesanan diterima" not in page
    response = client.post(
        f"/pesanan/{order.access_token}/diterima/{part.id}", follow_redirects=True
    )
    assert response.status_code == 200
    assert "Penjual belum mengirim bagian ini" in response.get_data(as_text=True)
    assert refreshed(part).status == PartStatus.NEW.value
    assert services.balances_of(part.seller_id).available == 0


def test_only_the_buyer_who_placed_it_may_confirm(client, login_as, shipped):
    order, part = shipped
    url = f"/pesanan/{order.access_token}/diterima/{part.id}"
    # The link alone, signed out: the page offers to sign in instead of the button.
    page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Masuk sebagai pemesan" in page and f"/diterima/{part.id}" not in page
    assert client.post(url).status_code == 403
    login_as("buyer")  # someone else the link was passed to
    assert client.post(url).status_code == 403
    login_as(user=part.seller.user)  # the household that sent it
    assert client.post(url).status_code == 403
    other = factories.make_paid_order((factories.make_product(), 1))
    assert client.post(f"/pesanan/{other.access_token}/diterima/{part.id}").status_code == 404
    assert client.post(f"/pesanan/tidak-ada/diterima/{part.id}").status_code == 404
    assert refreshed(part).status == PartStatus.SHIPPED.value


def test_an_order_placed_signed_out_is_confirmed_through_its_link(client, login_as):
    order = factories.make_paid_order((factories.make_product(), 1))
    part = order.parts[0]
    ship(part, pickup=False)
    db.session.commit()
    login_as(user=part.seller.user)
    # Not by the household, even holding the buyer's link.
    assert client.post(f"/pesanan/{order.access_token}/diterima/{part.id}").status_code == 403
    client.post("/akun/keluar")
    assert client.post(f"/pesanan/{order.access_token}/diterima/{part.id}").status_code == 303
    assert refreshed(part).status == PartStatus.DELIVERED.value


def test_a_collected_part_is_confirmed_too(client, login_as, buyer):
    seller = factories.make_seller()
    order = factories.make_paid_order(
        (factories.make_product(seller=seller), 1),
        user=buyer,
        pickup_seller_ids=frozenset({seller.id}),
    )
    part = order.parts[0]
    ship(part, pickup=True)
    db.session.commit()
    assert part.status == PartStatus.READY_FOR_PICKUP.value
    login_as(user=buyer)
    assert client.post(f"/pesanan/{order.access_token}/diterima/{part.id}").status_code == 303
    assert refreshed(part).status == PartStatus.DELIVERED.value


def test_confirming_a_part_under_complaint_keeps_its_money_held(client, login_as, buyer, shipped):
    order, part = shipped
    login_as(user=buyer)
    reported = client.post(
        f"/pesanan/{order.access_token}/masalah/{part.id}", data={"message": "Isinya remuk"}
    )
    assert reported.status_code == 303
    pending = services.balances_of(part.seller_id).pending
    assert client.post(f"/pesanan/{order.access_token}/diterima/{part.id}").status_code == 303
    assert refreshed(part).status == PartStatus.DELIVERED.value
    balances = services.balances_of(part.seller_id)
    assert (balances.pending, balances.available) == (pending, 0)


# --- the household declines -------------------------------------------------------------


@pytest.fixture
def paid(buyer):
    owner = factories.make_user(roles=[Role.SELLER], email="bu.sari@contoh.id", name="Ibu Sari")
    seller = factories.make_seller(user=owner, shop_name="Amplang Ibu Sari")
    product = factories.make_product(seller=seller, price=60_000, stock=10)
    other = factories.make_product(price=30_000, stock=10)
    order = factories.make_paid_order((product, 3), (other, 1), user=buyer)
    db.session.commit()
    part = next(part for part in order.parts if part.seller_id == seller.id)
    return order, part, product


def test_a_household_declines_with_a_reason(client, login_as, inbox, paid, payment_gateway):
    order, part, product = paid
    stock = db.session.get(Product, product.id).stock
    login_as(user=part.seller.user)
    page = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Tidak bisa memenuhi pesanan ini?" in page
    inbox.messages.clear()

    response = client.post(
        f"/penjual/pesanan/{part.id}/tolak", data={"reason": "Ikan belida sedang tidak ada."}
    )
    assert response.status_code == 303
    run_pending_jobs()

    assert refreshed(part).status == PartStatus.CANCELLED.value
    assert db.session.get(Product, product.id).stock == stock + 3
    # Not shipped: the goods and the shipping go back, through the gateway.
    [refund] = refunds_of(order.id)
    whole = part.items_amount + part.shipping_amount
    assert (refund.part_id, refund.amount, refund.status) == (part.id, whole, "succeeded")
    assert list(payment_gateway.refunds) == [f"part-{part.id}-refund"]
    sums = services.part_sums(part.id)
    assert sums["refunds"] == whole
    assert not any(sums.get(a, 0) for a in ("seller_pending", "shipping", "platform_commission"))
    assert services.balances_of(part.seller_id) == services.Balances(0, 0, 0, 0)
    # The other household's part is untouched.
    assert {p.status for p in order.parts if p.id != part.id} == {PartStatus.NEW.value}

    [mail] = [m for m in inbox.messages if "ditolak" in m["Subject"]]
    assert (mail["To"], mail["Subject"]) == (
        order.contact_email,
        f"Bagian pesanan {order.number} ditolak penjual",
    )
    body = mail.get_payload(decode=True).decode()
    assert "Amplang Ibu Sari tidak dapat memenuhi pesanan Anda" in body
    assert "Alasan: Ikan belida sedang tidak ada." in body
    buyer_page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert "Ikan belida sedang tidak ada." in buyer_page and "Dikembalikan" in buyer_page
    household_page = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Anda menolak pesanan ini" in household_page
    assert "Tidak bisa memenuhi pesanan ini?" not in household_page

    # A second submit: refused, nothing more given back.
    again = client.post(f"/penjual/pesanan/{part.id}/tolak", data={"reason": "Lagi"})
    assert again.status_code == 409
    assert len(refunds_of(order.id)) == 1
    assert db.session.get(Product, product.id).stock == stock + 3


def test_a_reason_is_needed_and_what_was_typed_stays(client, login_as, paid):
    order, part, product = paid
    login_as(user=part.seller.user)
    empty = client.post(f"/penjual/pesanan/{part.id}/tolak", data={"reason": "   "})
    assert empty.status_code == 409
    assert "Tulis alasan Anda menolak pesanan ini." in empty.get_data(as_text=True)
    typed = "Oven rusak, " * 30
    long = client.post(f"/penjual/pesanan/{part.id}/tolak", data={"reason": typed})
    assert long.status_code == 409
    page = long.get_data(as_text=True)
    assert "Alasan paling banyak 250 karakter." in page and typed.strip() in page
    assert refreshed(part).status == PartStatus.NEW.value
    assert refunds_of(order.id) == []


def test_a_shipped_part_cannot_be_declined(client, login_as, paid):
    order, part, _product = paid
    ship(part)
    db.session.commit()
    login_as(user=part.seller.user)
    response = client.post(f"/penjual/pesanan/{part.id}/tolak", data={"reason": "Berubah pikiran"})
    assert response.status_code == 409
    assert "Hanya pesanan dibayar yang belum dikirim" in response.get_data(as_text=True)
    assert refreshed(part).status == PartStatus.SHIPPED.value
    assert refunds_of(order.id) == []


def test_only_the_owning_household_declines(client, login_as, paid):
    order, part, _product = paid
    theirs = next(p for p in order.parts if p.id != part.id)
    login_as(user=part.seller.user)
    response = client.post(f"/penjual/pesanan/{theirs.id}/tolak", data={"reason": "Bukan saya"})
    assert response.status_code == 404
    login_as("buyer")
    assert client.post(f"/penjual/pesanan/{part.id}/tolak", data={"reason": "x"}).status_code == 403
    assert refreshed(theirs).status == PartStatus.NEW.value
    assert refreshed(part).status == PartStatus.NEW.value
