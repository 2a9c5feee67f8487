"""Proof over real servers: a public order and a government order reach the household on
all three channels at once: e-mail (SMTP), WhatsApp (the Cloud API test server) and Web
Push (a push service of the test's own, decrypting what it receives), and its inbox."""

from __future__ import annotations

import datetime as dt

from marketplace import jobs
from marketplace.dates import format_day
from marketplace.db import WITA, db
from marketplace.institutions.orders import gov_part_of
from marketplace.notify.services import inbox as inbox_of
from tests import factories


def household_on_every_channel(client, login_as, push_service):
    seller = factories.make_seller()
    login_as(user=seller.user)
    browser = push_service.new_browser()
    response = client.post("/akun/push/langganan", json=browser.subscription())
    assert response.status_code == 201
    return seller


def test_a_public_order_reaches_the_household_on_all_three_channels(
    client, login_as, inbox, cloud_api, push_service, clock
):
    clock.set(dt.datetime(2026, 12, 7, 9, 30, tzinfo=WITA))
    seller = household_on_every_channel(client, login_as, push_service)
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", stock=20)
    order = factories.make_paid_order((product, 4))
    db.session.commit()
    jobs.run_pending_jobs()
    title = f"Pesanan baru {order.number}"
    part_url = f"/penjual/pesanan/{order.parts[0].id}"

    mail = next(m for m in inbox.messages if m["Subject"] == title)
    assert mail["To"] == seller.user.email
    assert f"http://127.0.0.1:5000{part_url}" in mail.get_payload(decode=True).decode()

    sent = next(s for s in cloud_api.sent if s["template"] == "pesanan_baru")
    assert sent["to"] == seller.whatsapp.lstrip("+")
    assert sent["params"][:2] == [order.number, "4 x Amplang Tenggiri"]
    assert sent["button"] == part_url.lstrip("/")

    (pushed,) = push_service.received
    assert pushed["title"] == title
    assert "- 4 x Amplang Tenggiri" in pushed["body"]
    assert pushed["url"] == f"http://127.0.0.1:5000{part_url}"

    _due, rest = inbox_of(seller.user_id, "id")
    assert [entry.message.title for entry in rest] == [title]


def test_a_government_orders_deadline_message(
    client, login_as, inbox, cloud_api, push_service, clock
):
    clock.set(dt.datetime(2026, 12, 7, 9, 30, tzinfo=WITA))
    seller = household_on_every_channel(client, login_as, push_service)
    product = factories.make_product(seller=seller, stock=500, price=35_000)
    order, quote, _officer, _head = factories.make_gov_order(products=[product], boxes=100)
    db.session.commit()
    jobs.run_pending_jobs()
    deadline = format_day(gov_part_of(order.parts[0]).confirm_by)
    title = f"Pesanan instansi {order.number}: konfirmasi sebelum {deadline}"

    mail = next(m for m in inbox.messages if m["Subject"] == title)
    body = mail.get_payload(decode=True).decode()
    assert "Nilai barang: Rp3.500.000." in body
    assert f"Konfirmasi atau tolak paling lambat {deadline}" in body
    assert format_day(quote.delivery_date) in body

    sent = next(s for s in cloud_api.sent if s["template"] == "pesanan_instansi_konfirmasi")
    assert sent["params"] == [order.number, quote.institution.unit, "Rp3.500.000", deadline]
    assert [p["title"] for p in push_service.received] == [title]

    due, rest = inbox_of(seller.user_id, "id")
    assert [(entry.message.mark, entry.message.title) for entry in due] == [
        ("Pesanan instansi", title)
    ]
    assert rest == []
    page = client.get("/akun/pemberitahuan").get_data(as_text=True)
    assert page.index("Perlu dijawab sebelum batas waktu") < page.index(title)


def test_on_the_deadline_day_an_unanswered_household_is_reminded_at_once_even_at_night(
    app, client, login_as, inbox, cloud_api, push_service, clock
):
    clock.set(dt.datetime(2026, 12, 7, 9, 30, tzinfo=WITA))
    seller = household_on_every_channel(client, login_as, push_service)
    product = factories.make_product(seller=seller, stock=500, price=35_000)
    order, *_ = factories.make_gov_order(products=[product], boxes=20)
    db.session.commit()
    jobs.run_pending_jobs()
    confirm_by = gov_part_of(order.parts[0]).confirm_by
    title = f"Hari ini batas konfirmasi pesanan instansi {order.number}"

    def run_the_hourly_command() -> str:
        result = app.test_cli_runner().invoke(args=["institutions", "lapse-unconfirmed"])
        assert result.exit_code == 0, result.output
        jobs.run_pending_jobs()
        return result.output

    clock.set(dt.datetime.combine(confirm_by, dt.time(11, 0), WITA))  # 13 hours left
    assert "Reminded 0 households" in run_the_hourly_command()
    clock.set(dt.datetime.combine(confirm_by, dt.time(22, 0), WITA))  # quiet hours, 2 h left
    assert "Reminded 1 households" in run_the_hourly_command()
    run_the_hourly_command()
    reminders = [s for s in cloud_api.sent if s["template"] == "pesanan_instansi_batas_hari_ini"]
    assert [s["params"] for s in reminders] == [[order.number, format_day(confirm_by)]]
    assert [p["title"] for p in push_service.received][-1] == title
    assert [m["Subject"] for m in inbox.messages].count(title) == 1
