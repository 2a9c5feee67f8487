"""The household's earnings page: its own money only, in whole rupiah."""

from __future__ import annotations

import pytest

from marketplace.db import db
from marketplace.money import payments
from marketplace.orders import inbox as order_inbox
from marketplace.rupiah import format_rupiah
from tests import factories


def paid_order(gateway, *lines):
    order = factories.make_order(*lines)
    payment = payments.open_payment(order.id, gateway)
    payments.record_intent(
        gateway.complete(payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True)
    )
    db.session.commit()
    return order


def test_a_household_sees_its_balances_and_each_part(client, login_as, payment_gateway):
    amplang = factories.make_seller(shop_name="Amplang Ibu A")
    rotan = factories.make_seller(shop_name="Rotan Ibu B")
    order = paid_order(
        payment_gateway,
        (factories.make_product(seller=amplang, price=35_000), 1),
        (factories.make_product(seller=rotan, price=123_456), 1),
    )
    parts = {part.seller_id: part for part in order.parts}
    mine, theirs = parts[amplang.id], parts[rotan.id]
    order_inbox.move_part_for_seller(mine.id, amplang.id, "accept", actor_id=amplang.user_id)
    db.session.commit()

    login_as(user=amplang.user)
    response = client.get("/penjual/pendapatan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    pending = 33_250 + mine.shipping_amount
    assert f'data-balance="pending">{format_rupiah(pending)}<' in page
    assert 'data-balance="available">Rp0<' in page
    assert 'data-balance="paid_out">Rp0<' in page
    assert f'data-part="{mine.id}"' in page and order.number in page
    assert "Komisi 5%" in page and format_rupiah(1_750) in page
    assert format_rupiah(35_000) in page
    # another household's part and money are not there
    assert f'data-part="{theirs.id}"' not in page
    assert format_rupiah(123_456) not in page


def test_delivered_money_shows_as_available(client, login_as, payment_gateway):
    seller = factories.make_seller()
    order = paid_order(payment_gateway, (factories.make_product(seller=seller, price=20_000), 1))
    part = order.parts[0]
    for action, extra in (
        ("accept", {}),
        ("ship", {"courier": "JNE", "tracking_number": "JNE1"}),
        ("delivered", {}),
    ):
        order_inbox.move_part_for_seller(
            part.id, seller.id, action, actor_id=seller.user_id, **extra
        )
    db.session.commit()
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    available = 19_000 + part.shipping_amount
    assert f'data-balance="available">{format_rupiah(available)}<' in page
    assert 'data-balance="pending">Rp0<' in page


def test_a_new_household_sees_an_empty_page(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    assert "Belum ada pendapatan." in page


def test_the_page_speaks_english(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    client.post("/bahasa", data={"locale": "en", "next": "/"})
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    assert "Earnings" in page and "Ready to pay out" in page


def test_the_inbox_links_to_the_earnings(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    assert 'href="/penjual/pendapatan"' in client.get("/penjual/pesanan").get_data(as_text=True)


def test_the_page_says_when_the_next_payout_comes_and_offers_a_statement(app, client, login_as):
    import csv
    import io

    from marketplace.catalog.services import today_local
    from marketplace.money.statements import next_run_date

    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    assert "Isi rekening pencairan agar pendapatan bisa dicairkan." in page
    factories.make_payout_account(seller)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    when = next_run_date()
    assert when.weekday() == app.config.get("PAYOUT_RUN_WEEKDAY", 0)
    assert 0 <= (when - today_local()).days < 7
    assert "Perkiraan pencairan:" in page
    assert "BCA (014) ••••••6789" in page

    month = today_local().strftime("%Y-%m")
    assert f"/penjual/pendapatan/laporan/{month}.csv" in page
    response = client.get(f"/penjual/pendapatan/laporan/{month}.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    totals = {row["akun"]: int(row["jumlah"]) for row in rows if row["kejadian"] == "total"}
    assert totals["seller_available"] == db_available(seller.id)
    assert totals["platform_commission"] == 5_000
    assert any(row["pesanan"].startswith("PSR-") for row in rows)
    assert client.get("/penjual/pendapatan/laporan/2026-13.csv").status_code == 404
    assert client.get("/penjual/pendapatan/laporan/bukan.csv").status_code == 404


def test_below_the_minimum_the_page_says_how_much_is_needed(app, client, login_as):
    seller = factories.make_earning_seller(price=10_000)
    factories.make_payout_account(seller)
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    assert "Pencairan dimulai bila saldo siap dicairkan mencapai Rp50.000." in page


def db_available(seller_id: int) -> int:
    from marketplace.money.services import balances_of

    return balances_of(seller_id).available


# WeasyPrint warns when the machine lacks HarfBuzz's subsetting library (a font-size
# optimisation); the PDF is the same without it.
@pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")
def test_the_monthly_statement_comes_as_a_pdf_too(client, login_as):
    import io

    from pypdf import PdfReader

    from marketplace.catalog.services import today_local

    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    month = today_local().strftime("%Y-%m")
    response = client.get(f"/penjual/pendapatan/laporan/{month}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "LAPORAN PENDAPATAN" in text and seller.shop_name in text
    assert "Komisi platform" in text and "Rp5.000" in text
