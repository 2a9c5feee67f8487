"""Web Push: a browser's subscription kept over HTTP, each message encrypted for it and
signed with VAPID, read back decrypted by a push service of the test's own."""

from __future__ import annotations

import base64
import datetime as dt

from sqlalchemy import select

from marketplace import jobs
from marketplace.db import WITA, db
from marketplace.notify import Person, notify
from marketplace.notify.models import PUSH, SENT, SKIPPED, Delivery, PushSubscription


def subscribe(client, browser) -> None:
    response = client.post("/akun/push/langganan", json=browser.subscription())
    assert response.status_code == 201, response.get_json()


def test_a_message_reaches_the_phone_encrypted_and_signed(
    app, client, login_as, push_service, clock
):
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    user = login_as("seller")
    browser = push_service.new_browser()
    subscribe(client, browser)
    assert "Ada HP atau browser" in client.get("/akun/saluran").get_data(as_text=True)
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
    assert push_service.refused == []
    (message,) = push_service.received
    assert message["title"] == "Pencairan PO-000001 sebesar Rp150.000 terkirim"
    assert message["body"] == "Dana Rp150.000 sudah dikirim ke rekening Anda."
    assert message["url"] == "http://127.0.0.1:5000/penjual/pendapatan"
    delivery = db.session.scalar(select(Delivery).where(Delivery.channel == PUSH))
    assert delivery.status == SENT


def test_a_subscription_the_service_dropped_ends(app, client, login_as, push_service, clock):
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    user = login_as("buyer")
    browser = push_service.new_browser()
    subscribe(client, browser)
    push_service.gone.add(browser.endpoint.removeprefix(push_service.origin))
    notify(Person.of(user), "payout.sent", about="p2", url="/x", payout="PO-2", amount=1, reason="")
    db.session.commit()
    jobs.run_pending_jobs()
    db.session.expire_all()
    assert db.session.scalar(select(Delivery.status).where(Delivery.channel == PUSH)) == SKIPPED
    assert db.session.scalar(select(PushSubscription.ended_at)) is not None
    notify(Person.of(user), "payout.sent", about="p3", url="/x", payout="PO-3", amount=1, reason="")
    assert db.session.scalars(select(Delivery).where(Delivery.channel == PUSH)).all()[1:] == []


def test_a_subscription_that_is_not_a_browsers_is_refused(client, login_as, push_service):
    login_as("buyer")
    browser = push_service.new_browser()
    bad = browser.subscription()
    bad["keys"]["p256dh"] = "AAAA"
    response = client.post("/akun/push/langganan", json=bad)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Kunci langganan pemberitahuan tidak dikenali."
    ftp = {**browser.subscription(), "endpoint": "ftp://push.example/x"}
    assert client.post("/akun/push/langganan", json=ftp).status_code == 400
    assert db.session.scalar(select(PushSubscription)) is None


def test_a_subscription_with_a_nul_is_refused_before_it_is_read(client, login_as, push_service):
    # PostgreSQL's text cannot hold a NUL: stored, it would be a 500 there
    login_as("buyer")
    browser = push_service.new_browser()
    for endpoint in (browser.endpoint + "\x00", browser.endpoint.replace("//", "//a\x00", 1)):
        response = client.post(
            "/akun/push/langganan", json={**browser.subscription(), "endpoint": endpoint}
        )
        assert response.status_code == 400
    keys = {**browser.subscription()["keys"], "auth\x00": "x"}
    response = client.post("/akun/push/langganan", json={**browser.subscription(), "keys": keys})
    assert response.status_code == 400
    assert db.session.scalar(select(PushSubscription)) is None


def test_a_new_vapid_key_is_printed_for_the_settings(app):
    result = app.test_cli_runner().invoke(args=["notify", "vapid-key"])
    key = result.output.strip()
    assert result.exit_code == 0 and len(key) == 43
    assert len(base64.urlsafe_b64decode(key + "=")) == 32


def test_signing_out_stops_this_phones_messages_and_no_other(
    app, client, login_as, push_service, clock
):
    """A household's phone is often the family's: after the mother signs out of her shop,
    her orders no longer appear on it for whoever holds it. Her other phone keeps them."""
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=WITA))
    user = login_as("seller")
    shared, own = push_service.new_browser(), push_service.new_browser()
    her_phone = app.test_client()
    with her_phone.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.session_token, True
    subscribe(her_phone, own)
    subscribe(client, shared)
    response = client.post("/akun/keluar")  # on the family's phone
    assert response.status_code == 302
    notify(Person.of(user), "payout.sent", about="p9", url="/x", payout="PO-9", amount=1, reason="")
    db.session.commit()
    jobs.run_pending_jobs()
    reached = [message["endpoint"] for message in push_service.received]
    assert reached == [own.endpoint]
    db.session.expire_all()
    ended = db.session.scalars(
        select(PushSubscription.endpoint).where(PushSubscription.ended_at.is_not(None))
    ).all()
    assert ended == [shared.endpoint]
