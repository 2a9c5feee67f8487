"""The summary the buyer confirms is what is charged: shipping per household for the
address shown (without a script and live), the pay page's breakdown, and any change
between the summary and the order shown with its reason before anything is charged."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.db import db
from marketplace.orders.models import Order
from tests import factories

SAMARINDA = {"province": "64", "city": "64.72", "district": "64.72.10", "postal_code": "75131"}


def summary_field(html: str) -> str:
    return re.search(r'name="summary" type="hidden" value="([^"]*)"', html)[1]


def totals(html: str) -> list[str]:
    """Goods, shipping and total as the summary shows them."""
    block = re.search(r"<dl class=\"totals\".*?</dl>", html, re.S)[0]
    return re.findall(r"Rp[0-9.]+", block)


def orders_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.fixture
def two_households(client):
    """Goods from Tarakan and from Malinau, 1 kg each, in the visitor's cart."""
    tarakan = factories.make_seller(region_slug="tarakan", shop_name="Amplang Bu Uji")
    malinau = factories.make_seller(region_slug="malinau", shop_name="Anyaman Malinau")
    products = (
        factories.make_product(seller=tarakan, price=40000, stock=5),
        factories.make_product(seller=malinau, price=60000, stock=5),
    )
    db.session.commit()
    for product in products:
        client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    return products


def details(**overrides) -> dict:
    typed = vars(factories.checkout_details(**overrides))
    typed.pop("pickup_seller_ids")
    return typed


def test_shipping_shown_for_the_address_is_the_amount_charged(client, two_households):
    typed = details(**SAMARINDA)
    shown = client.post("/checkout", data={**typed, "action": "recalculate"})
    html = shown.get_data(as_text=True)
    # each household ships from its own kabupaten to Kalimantan Timur: Rp35.000 each
    assert totals(html) == ["Rp100.000", "Rp70.000", "Rp170.000"]
    assert "ongkir dihitung per rumah tangga" in html
    assert "Dikirim terpisah dari Malinau" in html
    # the script's figures come from the same functions
    live = client.get("/checkout/ongkir", query_string={**SAMARINDA, "delivery": "ship"})
    assert (live.get_json()["total"], live.get_json()["summary"]) == (
        "Rp170.000",
        summary_field(html),
    )

    placed = client.post("/checkout", data={**typed, "summary": summary_field(html)})
    assert placed.status_code == 303
    order = db.session.scalars(select(Order)).one()
    assert (order.items_amount, order.shipping_amount, order.total_amount) == (
        100000,
        70000,
        170000,
    )
    assert sorted(part.shipping_amount for part in order.parts) == [35000, 35000]
    pay = client.get(placed.headers["Location"]).get_data(as_text=True)
    rows = re.findall(
        r'<tr><th scope="row">([^<]*)</th><td class="num">([^<]*)</td>'
        r'<td class="num">([^<]*)</td></tr>',
        pay,
    )
    assert rows == [
        ("Amplang Bu Uji", "Rp40.000", "Rp35.000"),
        ("Anyaman Malinau", "Rp60.000", "Rp35.000"),
        ("Jumlah", "Rp100.000", "Rp70.000"),
    ]
    assert "<strong>Rp170.000</strong>" in pay


def test_live_shipping_offers_pickup_where_the_buyer_lives(client, two_households):
    amplang, rotan = two_households
    kaltara = {"province": "65", "city": "65.71", "delivery": "ship"}
    figures = client.get("/checkout/ongkir", query_string=kaltara).get_json()
    by_seller = {group["seller"]: group for group in figures["groups"]}
    assert by_seller[amplang.seller_id]["can_pickup"] is True
    assert by_seller[rotan.seller_id]["can_pickup"] is False
    # ticked: the Tarakan part costs nothing to ship, the other still does
    ticked = client.get(
        "/checkout/ongkir", query_string={**kaltara, "pickup": str(amplang.seller_id)}
    ).get_json()
    shipping = {group["seller"]: group["shipping"] for group in ticked["groups"]}
    assert shipping == {amplang.seller_id: "Ambil sendiri", rotan.seller_id: "Rp20.000"}
    assert ticked["total"] == "Rp120.000"
    # hostile values price nothing new and break nothing
    odd = {"province": "<x>", "city": "9" * 999, "delivery": "drone", "pickup": "abc"}
    assert client.get("/checkout/ongkir", query_string=odd).status_code == 200


def test_an_address_changed_without_recounting_is_shown_before_charging(client, two_households):
    """The buyer saw shipping for Tarakan, then typed Samarinda and pressed "Buat pesanan"
    without "Hitung ongkir": the new shipping is shown with its reason, nothing charged."""
    amplang, _rotan = two_households
    seen = client.post("/checkout", data={**details(), "action": "recalculate"})
    seen_html = seen.get_data(as_text=True)
    assert totals(seen_html) == ["Rp100.000", "Rp30.000", "Rp130.000"]

    changed = client.post(
        "/checkout", data={**details(**SAMARINDA), "summary": summary_field(seen_html)}
    )
    html = changed.get_data(as_text=True)
    assert changed.status_code == 409
    assert (
        "Ongkir dari Amplang Bu Uji sekarang Rp35.000 (sebelumnya Rp10.000), dihitung untuk "
        "alamat yang Anda kirim." in html
    )
    assert "Ongkir dari Anyaman Malinau sekarang Rp35.000 (sebelumnya Rp20.000)" in html
    assert "Total sekarang Rp170.000 (sebelumnya Rp130.000)." in html
    assert "Belum ada yang ditagih." in html
    assert totals(html) == ["Rp100.000", "Rp70.000", "Rp170.000"]
    assert orders_count() == 0
    db.session.refresh(amplang)
    assert amplang.stock == 5

    # confirmed as now shown: placed at exactly that total
    again = client.post("/checkout", data={**details(**SAMARINDA), "summary": summary_field(html)})
    assert again.status_code == 303
    assert db.session.scalars(select(Order)).one().total_amount == 170000


def test_a_price_or_stock_changed_after_the_summary_is_named(client, two_households):
    amplang, rotan = two_households
    html = client.get("/checkout").get_data(as_text=True)
    seen = summary_field(html)
    amplang.price_amount = 45000
    db.session.commit()
    response = client.post("/checkout", data={**details(), "summary": seen})
    assert response.status_code == 400
    assert "berubah harga dari Rp40.000 menjadi Rp45.000" in response.get_data(as_text=True)
    amplang.price_amount = 40000
    rotan.stock = 0
    db.session.commit()
    response = client.post("/checkout", data={**details(), "summary": seen})
    assert response.status_code == 409
    assert "stok" in response.get_data(as_text=True)
    assert orders_count() == 0


def test_a_quantity_changed_in_another_tab_is_named(client, two_households):
    amplang, _rotan = two_households
    seen = summary_field(client.get("/checkout").get_data(as_text=True))
    client.post("/keranjang/ubah", data={"product_id": amplang.id, "quantity": "2"})
    response = client.post("/checkout", data={**details(), "summary": seen})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"Jumlah {amplang.name} sekarang 2." in html
    assert orders_count() == 0


@pytest.mark.parametrize("summary", ["t1;zzz", "x" * 10_000, "l1=999x1;s1=p;t0", ";;;"])
def test_a_forged_or_broken_summary_never_charges_what_was_not_shown(
    client, two_households, summary
):
    response = client.post("/checkout", data={**details(), "summary": summary})
    assert response.status_code == 409
    assert "Ringkasan di bawah sudah diperbarui" in response.get_data(as_text=True)
    assert orders_count() == 0
