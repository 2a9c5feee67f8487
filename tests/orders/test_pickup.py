"""Pickup per household: a buyer collects the parts of households in their own
kabupaten/kota and has the others shipped, in one order."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.db import db
from marketplace.orders import cart as carts
from marketplace.orders import inbox as order_inbox
from marketplace.orders import labels, lifecycle, stock
from marketplace.orders.models import OrderPart
from marketplace.rupiah import format_rupiah
from tests import factories


@pytest.fixture
def two_households():
    """One household in Tarakan (the buyer's city) and one in Malinau."""
    near = factories.make_seller(region_slug="tarakan", shop_name="Amplang Tarakan")
    far = factories.make_seller(region_slug="malinau", shop_name="Anyaman Malinau")
    return (
        factories.make_product(seller=near, stock=5, price=40000),
        factories.make_product(seller=far, stock=5, price=60000),
    )


def test_one_part_collected_and_one_shipped(two_households, payment_gateway):
    amplang, rotan = two_households
    order = factories.make_order(
        (amplang, 1), (rotan, 1), pickup_seller_ids=frozenset({amplang.seller_id})
    )
    parts = {part.seller_id: part for part in order.parts}
    near, far = parts[amplang.seller_id], parts[rotan.seller_id]
    assert (near.delivery, near.shipping_amount) == ("pickup", 0)
    assert far.delivery == "ship" and far.shipping_amount > 0
    assert order.shipping_amount == far.shipping_amount
    assert order.total_amount == 100000 + far.shipping_amount
    assert order.delivery == "ship" and order.street  # the shipped part needs the address


def test_pickup_only_where_the_buyer_lives(two_households):
    amplang, rotan = two_households
    with pytest.raises(stock.CheckoutError, match="Anyaman Malinau"):
        factories.make_order(
            (amplang, 1), (rotan, 1), pickup_seller_ids=frozenset({rotan.seller_id})
        )
    db.session.rollback()


def test_the_checkout_form_offers_pickup_per_household(client, two_households):
    amplang, rotan = two_households
    db.session.commit()
    for product in two_households:
        client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    details = vars(factories.checkout_details())
    details.pop("pickup_seller_ids")
    recalculated = client.post(
        "/checkout", data={**details, "pickup": str(amplang.seller_id), "action": "recalculate"}
    ).get_data(as_text=True)
    # offered for the household in the buyer's city only, ticked as sent
    assert f'name="pickup" value="{amplang.seller_id}" checked' in recalculated
    assert f'name="pickup" value="{rotan.seller_id}"' not in recalculated
    # a household in another kabupaten, sneaked in: refused, the form kept
    refused = client.post("/checkout", data={**details, "pickup": str(rotan.seller_id)})
    assert refused.status_code == 400
    assert "Anyaman Malinau" in refused.get_data(as_text=True)
    assert 'value="Rina Pembeli"' in refused.get_data(as_text=True)
    placed = client.post("/checkout", data={**details, "pickup": str(amplang.seller_id)})
    assert placed.status_code == 303
    parts = db.session.scalars(select(OrderPart).order_by(OrderPart.id)).all()
    assert {(p.seller_id, p.delivery) for p in parts[-2:]} == {
        (amplang.seller_id, "pickup"),
        (rotan.seller_id, "ship"),
    }


def test_the_summary_says_each_households_words_and_amounts(app, two_households):
    """The checkout summary's households (``labels.summary_groups``): one collected, one
    shipped, each sentence in the page's language with the household's own values."""
    amplang, rotan = two_households
    session_cart: dict = {}
    carts.add_to_cart(amplang.id, 2, user_id=None, session_cart=session_cart)
    carts.add_to_cart(rotan.id, 1, user_id=None, session_cart=session_cart)
    with app.test_request_context():
        cart = carts.load_cart(
            user_id=None,
            session_cart=session_cart,
            city=factories.checkout_details().city,
            pickup_seller_ids=frozenset({amplang.seller_id}),
            for_page=True,
        )
        groups = {group.seller_id: group for group in labels.summary_groups(cart)}
        with force_locale("en"):
            english = {group.seller_id: group for group in labels.summary_groups(cart)}
    near, far = groups[amplang.seller_id], groups[rotan.seller_id]
    shipped = next(group for group in cart.groups if group.seller.id == rotan.seller_id)
    assert near.shop_name == "Amplang Tarakan"
    assert near.lines == [(2, amplang.name, "Rp80.000")]
    assert (near.items_amount, near.shipping) == ("Rp80.000", "Ambil sendiri")
    assert (
        near.pickup_label == "Ambil sendiri di rumah Amplang Tarakan, Kelurahan Uji (tanpa ongkir)"
    )
    assert near.parcel_label == "Dikirim terpisah dari Tarakan, 1 kg."
    assert far.lines == [(1, rotan.name, "Rp60.000")]
    assert far.shipping == format_rupiah(shipped.shipping_amount) != "Rp0"
    assert far.group is shipped
    assert english[amplang.seller_id].shipping == "Collect"
    assert english[amplang.seller_id].pickup_label == (
        "Collect at Amplang Tarakan, Kelurahan Uji (no shipping)"
    )
    assert english[rotan.seller_id].parcel_label == "Shipped separately from Malinau, 1 kg."


def test_a_households_name_is_escaped_once_on_the_summary(client):
    seller = factories.make_seller(shop_name='Amplang & Kerupuk "Bu Ani"')
    product = factories.make_product(seller=seller)
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    written = "Amplang &amp; Kerupuk &#34;Bu Ani&#34;"
    assert f"<h3>{written}</h3>" in page
    assert f'data-pickup-label="Ambil sendiri di rumah {written}, Kelurahan Uji' in page


def test_each_household_moves_its_part_its_own_way(client, login_as, two_households):
    amplang, rotan = two_households
    order = factories.make_paid_order(
        (amplang, 1), (rotan, 1), pickup_seller_ids=frozenset({amplang.seller_id})
    )
    parts = {part.seller_id: part for part in order.parts}
    near, far = parts[amplang.seller_id], parts[rotan.seller_id]
    db.session.commit()
    login_as(user=amplang.seller.user)
    inbox = client.get("/penjual/pesanan").get_data(as_text=True)
    assert "Ambil sendiri" in inbox
    order_inbox.move_part_for_seller(near.id, near.seller_id, "accept", actor_id=1)
    order_inbox.move_part_for_seller(far.id, far.seller_id, "accept", actor_id=1)
    with pytest.raises(lifecycle.MoveRefused, match="diambil sendiri"):
        order_inbox.move_part_for_seller(
            near.id, near.seller_id, "ship", actor_id=1, courier="JNE", tracking_number="1"
        )
    with pytest.raises(lifecycle.MoveRefused, match="dikirim, bukan"):
        order_inbox.move_part_for_seller(far.id, far.seller_id, "ready", actor_id=1)
    order_inbox.move_part_for_seller(near.id, near.seller_id, "ready", actor_id=1)
    order_inbox.move_part_for_seller(
        far.id, far.seller_id, "ship", actor_id=1, courier="JNE", tracking_number="JNE9"
    )
    db.session.commit()
    page = client.get(f"/penjual/pesanan/{near.id}").get_data(as_text=True)
    assert "Diambil sendiri oleh pembeli" in page
    buyer_page = client.get(f"/pesanan/{order.access_token}").get_data(as_text=True)
    assert (
        "Siap diambil" in buyer_page
        and "Ambil sendiri di rumah penjual: Kelurahan Uji" in buyer_page
    )
