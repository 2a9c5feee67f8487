"""The earnings page's rows: each value written once for the page, as the rules write it."""

from __future__ import annotations

from marketplace.db import db
from marketplace.money import labels, services
from marketplace.money.models import Account
from marketplace.orders.labels import order_status_label
from marketplace.orders.models import order_number
from marketplace.rupiah import format_rupiah
from tests import factories


def test_each_row_says_what_the_rules_write_of_its_part(app):
    """Three parts sharing amounts, statuses and accounts (each written once for the page),
    one of them with money given back: every value is what its own rule writes."""
    seller = factories.make_seller()
    factories.make_earning_seller(price=100_000, seller=seller)
    factories.make_earning_seller(price=35_000, seller=seller)
    order = factories.make_paid_order((factories.make_product(seller=seller, price=35_000), 2))
    refunded = order.parts[0]
    services.write_event(
        f"refund-test-{refunded.id}",
        refunded,
        [(Account.SELLER_PENDING, -5_000), (Account.REFUNDS, 5_000)],
    )
    db.session.flush()

    with app.test_request_context():
        parts = services.list_part_earnings(seller.id)
        rows = labels.earning_rows(parts, "/penjual/pesanan/")
        expected = [
            labels.EarningRow(
                part_id=each.part.id,
                href=f"/penjual/pesanan/{each.part.id}",
                number=order_number(each.part.order_id),
                government=False,
                status=order_status_label(each.part.status),
                items=format_rupiah(each.part.items_amount),
                shipping=format_rupiah(each.part.shipping_amount),
                rate=labels.percent_bp(each.part.commission_rate_bp),
                commission=format_rupiah(each.commission),
                earned=format_rupiah(each.earned),
                refunded=format_rupiah(each.refunded) if each.refunded else "",
                ledger="; ".join(
                    f"{labels.ledger_account_label(account)} {format_rupiah(amount)}"
                    for account, amount in each.entries
                ),
            )
            for each in parts
        ]

    assert rows == expected
    assert [row.part_id for row in rows] == sorted((row.part_id for row in rows), reverse=True)
    by_id = {row.part_id: row for row in rows}
    assert by_id[refunded.id].refunded == "Rp5.000"
    assert "Bagian toko, menunggu -Rp5.000" in by_id[refunded.id].ledger
    assert [row.refunded for row in rows].count("") == 2
    # the two parts of Rp35.000 goods and the one of Rp70.000 write their own amounts
    assert sorted(row.items for row in rows) == ["Rp100.000", "Rp35.000", "Rp70.000"]


def test_the_rows_words_follow_the_language(client, login_as):
    """The rows' words are kept per language: each page says them in its own."""
    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    indonesian = "Harga barang Rp100.000"
    english = "Items Rp100.000"
    page = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert indonesian in page and "Bagian Anda <strong>" in page
    client.post("/bahasa", data={"locale": "en", "next": "/"})
    page = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert english in page and "Your share <strong>" in page and indonesian not in page
    client.post("/bahasa", data={"locale": "id", "next": "/"})
    page = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert indonesian in page and english not in page
