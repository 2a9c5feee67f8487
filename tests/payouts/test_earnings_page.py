"""The household's earnings page: its own money only, in whole rupiah."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from marketplace.db import db, unit_of_work
from marketplace.money import payments, runs, services
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
    # each part's share is one tap away, on its own page
    assert 'href="/penjual/pendapatan/rincian"' in page and f'data-part="{mine.id}"' not in page
    detail = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert f'data-part="{mine.id}"' in detail and order.number in detail
    assert "Komisi 5%" in detail and format_rupiah(1_750) in detail
    assert format_rupiah(35_000) in detail
    # another household's part and money are not there
    assert f'data-part="{theirs.id}"' not in detail
    assert format_rupiah(123_456) not in page + detail


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
    assert "/penjual/pendapatan/rincian" not in page  # nothing to list
    detail = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert "Belum ada pendapatan." in detail and "<li data-part" not in detail


def test_a_paged_link_of_the_summary_lands_on_the_rows_own_page(client, login_as):
    """The rows were paged on the summary before they had their own page: such a link
    (a bookmark, a tab left open) lands on that page, and a bad page is still a 404."""
    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    moved = client.get("/penjual/pendapatan?page=1")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/penjual/pendapatan/rincian?page=1"
    assert "Harga barang Rp100.000" in client.get(moved.headers["Location"]).get_data(True)
    assert client.get("/penjual/pendapatan?page=%C2%B2", follow_redirects=True).status_code == 404


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


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2026-1", "２０２６-11"])
@pytest.mark.parametrize("kind", ["csv", "pdf"])
def test_a_month_written_otherwise_or_out_of_range_is_no_statement(client, login_as, month, kind):
    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    assert client.get(f"/penjual/pendapatan/laporan/{month}.{kind}").status_code == 404


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


# --- the plain summary at the top ---------------------------------------------------------

WITA = dt.timezone(dt.timedelta(hours=8))


def summary_text(page: str) -> str:
    """The plain summary as a phone reads it: no tags, one space between words."""
    section = re.search(r'<section id="earnings-summary">(.*?)</section>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", section).split()).replace(" .", ".").replace(" ,", ",")


def test_the_summary_says_in_plain_words_where_the_money_is(client, login_as, clock):
    """Hand-computed: 5% commission on each sale.

    28 Nov: Rp200.000 sold, delivered (share Rp190.000 + its shipping), paid out by the run
    of Monday 30 Nov: in transit. 2 Dec: Rp100.000 sold and delivered (Rp95.000 + shipping
    available, paid by the run of Monday 7 Dec); Rp60.000 sold and shipped (Rp57.000 +
    shipping waiting, counts as received on Wednesday 9 Dec, 7 days after shipping).
    """
    seller = factories.make_seller(shop_name="Amplang Ibu Sari")
    factories.make_payout_account(seller)
    clock.set(dt.datetime(2026, 11, 28, 9, 0, tzinfo=WITA))
    early = factories.make_delivered_order(
        (factories.make_product(seller=seller, price=200_000), 1)
    )
    db.session.commit()
    clock.set(dt.datetime(2026, 11, 30, 8, 0, tzinfo=WITA))
    with unit_of_work():
        runs.create_payout(seller.id, dt.date(2026, 11, 30))
        db.session.commit()
    clock.set(dt.datetime(2026, 12, 2, 9, 0, tzinfo=WITA))
    delivered = factories.make_delivered_order(
        (factories.make_product(seller=seller, price=100_000), 1)
    )
    shipped = factories.make_paid_order((factories.make_product(seller=seller, price=60_000), 1))
    part = shipped.parts[0]
    for action, extra in (("accept", {}), ("ship", {"courier": "JNE", "tracking_number": "J9"})):
        order_inbox.move_part_for_seller(
            part.id, seller.id, action, actor_id=seller.user_id, **extra
        )
    db.session.commit()
    ship_early = early.parts[0].shipping_amount
    ship_delivered = delivered.parts[0].shipping_amount
    ship_waiting = part.shipping_amount

    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    text = summary_text(page)
    rp = format_rupiah
    assert "-Rp" not in text and "Rp-" not in text
    assert f"{rp(95_000 + ship_delivered)} sudah bisa dicairkan." in text
    assert (
        "Akan dikirim ke rekening BCA (014) ••••••6789 a.n. "
        f"{seller.owner_name} pada Senin, 7 Desember 2026." in text
    )
    assert f"{rp(57_000 + ship_waiting)} menunggu sampai pesanan diterima pembeli." in text
    assert (
        f"{rp(57_000 + ship_waiting)} dari pesanan yang sudah dikirim bisa dicairkan paling "
        "lambat Rabu, 9 Desember 2026" in text
    )
    assert (
        f"{rp(190_000 + ship_early)} ke BCA ••••••6789, dikirim pada Senin, 30 November 2026."
        in text
    )
    assert f"{rp(0)} sudah diterima di rekening Anda." in text

    month = re.search(r'data-sales="month"(.*?)</ul>', page, re.S).group(1)
    month = " ".join(re.sub(r"<[^>]+>", " ", month).split())
    assert f"Anda menjual barang senilai {rp(160_000)}" in month
    assert f"Platform mengambil {rp(8_000)}" in month
    assert f"Pembeli membayar ongkir {rp(ship_delivered + ship_waiting)}" in month
    assert f"Jadi yang menjadi milik Anda {rp(152_000 + ship_delivered + ship_waiting)}" in month
    everything = re.search(r'data-sales="all"(.*?)</ul>', page, re.S).group(1)
    everything = " ".join(re.sub(r"<[^>]+>", " ", everything).split())
    assert f"Anda menjual barang senilai {rp(360_000)}" in everything
    assert f"Platform mengambil {rp(18_000)}" in everything
    # Over all time, what is the household's is exactly where its money now is.
    earned = 342_000 + ship_early + ship_delivered + ship_waiting
    assert f"Jadi yang menjadi milik Anda {rp(earned)}" in everything
    balances = services.balances_of(seller.id)
    assert earned == balances.pending + balances.available + balances.in_transit

    # The ledger's own words are one tap away, not in the summary.
    assert "Lihat rincian per pesanan" in page
    detail = client.get("/penjual/pendapatan/rincian").get_data(as_text=True)
    assert "Dibayar pembeli -Rp" in detail
    assert "Dibayar pembeli" not in page


def test_money_given_back_after_a_payout_reads_as_a_positive_debt(client, login_as):
    from marketplace.money.models import Account, LedgerEntry

    seller = factories.make_seller()
    db.session.add(
        LedgerEntry(
            event_key="test-owed",
            account=Account.SELLER_AVAILABLE.value,
            seller_id=seller.id,
            amount=-12_500,
        )
    )
    db.session.commit()
    login_as(user=seller.user)
    text = summary_text(client.get("/penjual/pendapatan").get_data(as_text=True))
    assert "Rp12.500 akan dipotong dari pendapatan berikutnya" in text
    assert "-Rp" not in text


def test_the_summary_speaks_english(client, login_as):
    seller = factories.make_earning_seller(price=100_000)
    login_as(user=seller.user)
    client.post("/bahasa", data={"locale": "en", "next": "/"})
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    for words in ("can be paid out now", "You sold goods worth", "See the details per order"):
        assert words in page


def test_money_held_by_a_complaint_and_an_unshipped_order_say_why(client, login_as):
    """A complained part (Rp100.000: share Rp95.000 + shipping) is held for an admin, with
    no date; a paid part not yet shipped (Rp40.000: Rp38.000 + shipping) waits for the
    household to send it."""
    complaint = factories.make_complaint(price=100_000)
    held = complaint.part
    seller = held.seller
    waiting = factories.make_paid_order((factories.make_product(seller=seller, price=40_000), 1))
    db.session.commit()
    login_as(user=seller.user)
    text = summary_text(client.get("/penjual/pendapatan").get_data(as_text=True))
    held_amount = format_rupiah(95_000 + held.shipping_amount)
    unsent = format_rupiah(38_000 + waiting.parts[0].shipping_amount)
    assert f"{held_amount} ditahan karena pembeli melaporkan masalah" in text
    assert f"{unsent} menunggu pesanan Anda dikirim atau diambil pembeli." in text
    assert "paling lambat" not in text


def test_many_payouts_in_transit_show_the_newest_and_their_sum_and_all_on_their_own_page(
    client, login_as
):
    """Seven payouts on their way (Rp60.000 to Rp60.006, a week apart): the card names the
    newest five, newest first, and sums all seven; the household's payouts page lists all."""
    from marketplace.money.models import Payout

    seller = factories.make_seller()
    for n in range(7):
        db.session.add(
            Payout(
                seller_id=seller.id,
                period=dt.date(2026, 10, 5) + dt.timedelta(days=7 * n),
                idempotency_key=f"test-transit-{n}",
                balance_through_entry_id=0,
                amount=60_000 + n,
                method="bank",
                account_version=1,
                bank_code="014",
                account_number="0123456789",
            )
        )
    db.session.commit()
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan").get_data(as_text=True)
    text = summary_text(page)
    total = sum(60_000 + n for n in range(7))
    assert f"{format_rupiah(total)} sudah dikirim dan sedang dalam perjalanan" in text
    card = page.split('data-summary="in_transit"', 1)[1].split("</div>", 1)[0]
    shown = re.findall(r"<p data-transit><strong>(Rp[\d.]+)</strong>", card)
    assert shown == [format_rupiah(60_000 + n) for n in (6, 5, 4, 3, 2)]
    assert "Ditampilkan 5 pencairan terbaru dari 7." in text
    assert 'href="/penjual/pendapatan/pencairan"' in card

    listed = client.get("/penjual/pendapatan/pencairan").get_data(as_text=True)
    rows = re.findall(r'<tr data-payout="PO-\d+" data-status="created">', listed)
    assert len(rows) == 7
    for n in range(7):
        assert format_rupiah(60_000 + n) in listed
    assert "BCA ••••••6789" in listed and "Dibuat" in listed


def test_a_household_without_payouts_sees_none_listed(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    page = client.get("/penjual/pendapatan/pencairan").get_data(as_text=True)
    assert "Belum ada pencairan." in page
    assert "data-transit-more" not in client.get("/penjual/pendapatan").get_data(as_text=True)


def test_a_paid_payout_says_how_much_came_and_when_the_last_one_did(client, login_as, clock):
    seller = factories.make_seller()
    factories.make_payout_account(seller)
    clock.set(dt.datetime(2026, 11, 28, 9, 0, tzinfo=WITA))
    factories.make_delivered_order((factories.make_product(seller=seller, price=200_000), 1))
    db.session.commit()
    clock.set(dt.datetime(2026, 11, 30, 8, 0, tzinfo=WITA))
    with unit_of_work():
        payout = runs.create_payout(seller.id, dt.date(2026, 11, 30))
        db.session.commit()
    login_as(user=seller.user)
    text = summary_text(client.get("/penjual/pendapatan").get_data(as_text=True))
    assert "Terakhir pada" not in text
    clock.set(dt.datetime(2026, 12, 1, 10, 0, tzinfo=WITA))
    with unit_of_work():
        assert runs.settle_payout(payout.id, "BANK-1")
        db.session.commit()
    text = summary_text(client.get("/penjual/pendapatan").get_data(as_text=True))
    assert f"{format_rupiah(payout.amount)} sudah diterima di rekening Anda." in text
    assert "Terakhir pada Selasa, 1 Desember 2026." in text
