"""WhatsApp through the Cloud API, against tests/whatsapp_server.py: approved templates in
the person's language, the parameters they expect, a button to the thing, sent once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from marketplace import jobs
from marketplace.dates import format_day
from marketplace.db import WITA, db, today_local
from marketplace.notify import Person, notify
from marketplace.notify.kinds import KINDS
from marketplace.notify.models import FAILED, QUEUED, SENT, WHATSAPP, Delivery
from marketplace.orders.messages import SHIP_WITHIN_DAYS
from tests import factories
from tests.whatsapp_server import TEMPLATES, placeholders


def sweep(app) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    jobs.run_pending_jobs()


def whatsapp_deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.channel == WHATSAPP)))


def test_every_template_a_kind_names_is_approved_in_both_languages():
    named = {kind.template for kind in KINDS.values() if kind.template}
    assert named, "kinds name their templates"
    for name in named:
        assert set(TEMPLATES[name]) == {"id", "en"}, name
        assert placeholders(TEMPLATES[name]["id"]) == placeholders(TEMPLATES[name]["en"]), name


def test_a_paid_order_reaches_the_household_and_the_buyer_on_whatsapp(app, cloud_api, clock):
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, name="Abon Kepiting", stock=9)
    order = factories.make_paid_order((product, 3))
    db.session.commit()
    jobs.run_pending_jobs()
    by_template = {sent["template"]: sent for sent in cloud_api.sent}
    new = by_template["pesanan_baru"]
    ship_by = format_day(today_local() + dt.timedelta(days=SHIP_WITHIN_DAYS))
    assert new == {
        "to": seller.whatsapp.lstrip("+"),
        "template": "pesanan_baru",
        "language": "id",
        "params": [order.number, "3 x Abon Kepiting", ship_by],
        "button": f"penjual/pesanan/{order.parts[0].id}",
    }
    assert by_template["pesanan_dibayar"]["to"] == order.contact_whatsapp.lstrip("+")
    assert by_template["pesanan_dibayar"]["button"] == f"pesanan/{order.access_token}"
    assert {d.status for d in whatsapp_deliveries()} == {SENT}
    assert all(d.provider_id.startswith("wamid.") for d in whatsapp_deliveries())
    sweep(app)
    assert len(cloud_api.sent) == 2


def test_an_english_speaker_gets_the_english_template(cloud_api, clock):
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    user = factories.make_user(phone="+6281234567002")
    user.locale = "en"
    notify(
        Person.of(user),
        "payout.sent",
        about="p1",
        url="/penjual/pendapatan",
        payout="PO-000001",
        amount=150_000,
        reason="",
    )
    db.session.commit()
    jobs.run_pending_jobs()
    assert cloud_api.sent == [
        {
            "to": "6281234567002",
            "template": "pencairan_terkirim",
            "language": "en",
            "params": ["PO-000001", "Rp150.000"],
            "button": "penjual/pendapatan",
        }
    ]


def test_a_refused_token_is_retried_and_then_sent_once(app, cloud_api, clock):
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    app.config["WHATSAPP_TOKEN"] = "expired"
    user = factories.make_user(phone="+6281234567003")
    notify(Person.of(user), "payout.sent", about="p2", url="/x", payout="PO-2", amount=1, reason="")
    db.session.commit()
    jobs.run_pending_jobs()
    (delivery,) = whatsapp_deliveries()
    assert (delivery.status, cloud_api.sent) == (QUEUED, [])
    assert "401 190" in delivery.last_error
    app.config["WHATSAPP_TOKEN"] = cloud_api.token
    clock.move(minutes=6)
    sweep(app)
    sweep(app)
    assert [d.status for d in whatsapp_deliveries()] == [SENT]
    assert len(cloud_api.sent) == 1


def test_quiet_hours_hold_whatsapp_until_six_but_not_a_near_deadline(app, cloud_api, clock):
    clock.set(dt.datetime(2026, 12, 7, 22, 0, tzinfo=WITA))
    user = factories.make_user(phone="+6281234567004")
    notify(Person.of(user), "payout.sent", about="p3", url="/x", payout="PO-3", amount=1, reason="")
    context = dict(
        number="PSR-000009",
        unit="Biro Umum",
        event="Kunjungan",
        delivery="2026-12-09",
        place="Tanjung Selor",
        items=[[5, "Amplang"]],
        amount=175_000,
        confirm_by="2026-12-08",
    )
    notify(
        Person.of(user),
        "gov.confirm",
        about="part-9",
        url="/penjual/pesanan/9",
        deadline=dt.datetime(2026, 12, 8, 0, 0, tzinfo=WITA),
        **context,
    )
    db.session.commit()
    jobs.run_pending_jobs()
    assert [sent["template"] for sent in cloud_api.sent] == ["pesanan_instansi_konfirmasi"]
    assert cloud_api.sent[0]["params"][-1] == "8 Desember 2026"
    clock.set(dt.datetime(2026, 12, 8, 5, 55, tzinfo=WITA))
    sweep(app)
    assert len(cloud_api.sent) == 1
    clock.set(dt.datetime(2026, 12, 8, 6, 0, tzinfo=WITA))
    sweep(app)
    assert [sent["template"] for sent in cloud_api.sent][1:] == ["pencairan_terkirim"]


def test_whatsapp_is_off_without_settings_and_the_wa_me_links_stay(inbox):
    seller = factories.make_seller()
    order = factories.make_paid_order((factories.make_product(seller=seller, stock=3), 1))
    db.session.commit()
    jobs.run_pending_jobs()
    assert whatsapp_deliveries() == []
    body = next(m for m in inbox.messages if m["Subject"] == f"Pesanan baru {order.number}")
    assert "https://wa.me/62" in body.get_payload(decode=True).decode()


def test_a_message_that_keeps_failing_ends_failed(app, cloud_api, clock):
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    app.config["WHATSAPP_PHONE_NUMBER_ID"] = "salah"
    user = factories.make_user(phone="+6281234567005")
    notify(Person.of(user), "payout.sent", about="p4", url="/x", payout="PO-4", amount=1, reason="")
    db.session.commit()
    jobs.run_pending_jobs()
    for _ in range(5):
        clock.move(minutes=6)
        sweep(app)
    (delivery,) = whatsapp_deliveries()
    assert (delivery.status, delivery.attempts) == (FAILED, 5)
    app.config["WHATSAPP_PHONE_NUMBER_ID"] = cloud_api.phone_number_id
