"""The messaging seam: each message recorded once, sent once per channel, in the person's
language, held through quiet hours unless its deadline is near; the inbox and its count."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_login import login_user
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.db import WITA, db
from marketplace.mail import OutgoingMail
from marketplace.notify import Message, Person, day, message_kind, notify, services
from marketplace.notify.models import EMAIL, QUEUED, SENT, Delivery, Notification
from marketplace.notify.services import release_time
from tests import factories


@message_kind("test.hello")
def _hello(context: dict) -> Message:
    from flask_babel import gettext as _

    return Message(
        _("Pesanan %(n)s dikirim", n=context["number"]),
        [_("Sampai paling lambat %(day)s.", day=day(context["by"]))],
        params=[context["number"]],
    )


def sweep(app) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    jobs.run_pending_jobs()
    return result.output


def test_a_message_is_recorded_once_and_mailed_once(app, inbox):
    user = factories.make_user(email="ibu.siti@contoh.id")
    for _ in range(2):
        notify(
            Person.of(user),
            "test.hello",
            about="part-7",
            url="/penjual/pesanan/7",
            number="PSR-000007",
            by=dt.date(2026, 12, 2),
        )
    db.session.commit()
    jobs.run_pending_jobs()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()
    assert len(rows) == 1
    assert [m["Subject"] for m in inbox.messages] == ["Pesanan PSR-000007 dikirim"]
    body = inbox.messages[0].get_payload(decode=True).decode()
    assert "Sampai paling lambat 2 Desember 2026." in body
    assert "http://127.0.0.1:5000/penjual/pesanan/7" in body
    sweep(app)
    assert len(inbox.messages) == 1


def test_no_email_when_the_person_turned_it_off(app, client, login_as):
    user = login_as("buyer")
    response = client.post("/akun/saluran", data={"csrf_token": "-"})
    assert response.status_code == 302
    notify(Person.of(user), "test.hello", about="part-9", url="/x", number="PSR-9", by="2026-12-02")
    db.session.commit()
    notification = db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert notification.deliveries == []
    assert b"Pesanan PSR-9 dikirim" in client.get("/akun/pemberitahuan").data


def test_a_lost_job_is_sent_by_the_sweep(app, inbox, clock, monkeypatch):
    monkeypatch.setattr(jobs, "run_pending_jobs", lambda: 0)  # the job is lost
    user = factories.make_user(email="hilang@contoh.id")
    notify(
        Person.of(user), "test.hello", about="part-10", url="/x", number="PSR-10", by="2026-12-02"
    )
    db.session.commit()
    monkeypatch.undo()
    delivery = db.session.scalar(select(Delivery).where(Delivery.target == "hilang@contoh.id"))
    assert delivery.status == QUEUED
    clock.move(minutes=6)
    sweep(app)
    db.session.expire_all()
    assert delivery.status == SENT
    mails = db.session.scalars(select(OutgoingMail).where(OutgoingMail.to == "hilang@contoh.id"))
    assert len(mails.all()) == 1
    assert [m["Subject"] for m in inbox.messages] == ["Pesanan PSR-10 dikirim"]


@pytest.mark.parametrize(
    ("local", "deadline_hours", "expected"),
    [
        (dt.datetime(2026, 12, 6, 14, 0), None, dt.datetime(2026, 12, 6, 14, 0)),
        (dt.datetime(2026, 12, 6, 21, 30), None, dt.datetime(2026, 12, 7, 6, 0)),
        (dt.datetime(2026, 12, 7, 2, 0), None, dt.datetime(2026, 12, 7, 6, 0)),
        (dt.datetime(2026, 12, 6, 22, 0), 11, dt.datetime(2026, 12, 6, 22, 0)),
        (dt.datetime(2026, 12, 6, 22, 0), 13, dt.datetime(2026, 12, 7, 6, 0)),
    ],
)
def test_quiet_hours_hold_until_six_unless_the_deadline_is_near(local, deadline_hours, expected):
    now = local.replace(tzinfo=WITA)
    deadline = now + dt.timedelta(hours=deadline_hours) if deadline_hours else None
    assert release_time(now, deadline) == expected.replace(tzinfo=WITA)


def test_inbox_counts_unread_and_opening_goes_to_the_thing(client, login_as):
    user = login_as("seller")
    notify(
        Person.of(user),
        "test.hello",
        about="part-11",
        url="/penjual/pesanan",
        number="PSR-000011",
        by="2026-12-02",
    )
    db.session.commit()
    page = client.get("/").data.decode()
    assert 'Pemberitahuan <span class="unread">1' in page
    inbox_page = client.get("/akun/pemberitahuan").data.decode()
    assert "Pesanan PSR-000011 dikirim" in inbox_page
    entry = db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    response = client.get(f"/akun/pemberitahuan/{entry.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/penjual/pesanan"
    assert 'class="unread"' not in client.get("/").data.decode()


def test_someone_elses_entry_is_not_found(client, login_as):
    owner = factories.make_user()
    notify(Person.of(owner), "test.hello", about="x", url="/x", number="PSR-1", by="2026-12-02")
    db.session.commit()
    entry = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    login_as("buyer")
    assert client.get(f"/akun/pemberitahuan/{entry.id}").status_code == 404
    assert client.get("/akun/pemberitahuan").status_code == 200


def test_deliveries_are_email_only_without_whatsapp_and_push_settings():
    user = factories.make_user(phone="+6281234567001")
    notification = notify(
        Person.of(user), "test.hello", about="y", url="/y", number="N", by="2026-12-02"
    )
    assert [d.channel for d in notification.deliveries] == [EMAIL]


def test_the_header_count_never_breaks_a_page(app, login_as, monkeypatch):
    """A user not loaded by the app's user loader (no count with it) has it counted apart;
    a database that fails then leaves the header without a count, the page still there."""
    from marketplace.notify.views import unread_notifications

    def database_gone(user_id):
        raise OperationalError("SELECT count(*)", {}, Exception("server closed the connection"))

    user = login_as("buyer")
    monkeypatch.setattr(services, "unread_count", database_gone)
    with app.test_request_context("/"):
        login_user(db.session.get(User, user.id, populate_existing=True))
        assert unread_notifications() == {"unread_notifications": 0}


def test_the_header_count_is_read_with_the_signed_in_user(client, login_as, count_queries):
    user = login_as("seller")
    for number in ("PSR-1", "PSR-2"):
        notify(
            Person.of(user), "test.hello", about=number, url="/x", number=number, by="2026-12-02"
        )
    db.session.commit()
    client.get("/akun/pemberitahuan")
    with count_queries() as statements:
        page = client.get("/akun/pemberitahuan").get_data(as_text=True)
    assert 'Pemberitahuan <span class="unread">2' in page
    counts = [s for s in statements if "count(notifications.id)" in s.lower()]
    assert len(counts) == 1 and "users.session_token" in counts[0].lower()


def _messages(user_id: int, unread: int, read: int) -> None:
    """``read`` messages of ``user_id``, then ``unread`` newer ones, written at once as a
    household's years of orders leave them."""
    sent = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    db.session.execute(
        insert(Notification),
        [
            {
                "key": f"bulk-{user_id}-{n}",
                "user_id": user_id,
                "kind": "test.hello",
                "context": {"number": f"PSR-{n}", "by": "2026-12-02"},
                "url": "/x",
                "created_at": sent,
                "read_at": sent if n < read else None,
            }
            for n in range(unread + read)
        ],
    )


@pytest.mark.parametrize(("unread", "shown"), [(99, "99"), (100, "99+"), (150, "99+")])
def test_the_header_counts_up_to_99_unread_then_says_99_plus(client, login_as, unread, shown):
    user = login_as("seller")
    _messages(user.id, unread, read=20)
    db.session.commit()
    page = client.get("/akun/pemberitahuan").get_data(as_text=True)
    assert f'Pemberitahuan <span class="unread">{shown}<' in page


def _rows_read(node: dict) -> int:
    """The rows a PostgreSQL plan's nodes returned or filtered out (EXPLAIN ANALYZE, JSON)."""
    own = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
    own += node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return own + sum(_rows_read(child) for child in node.get("Plans", []))


def test_the_header_counts_from_the_unread_messages_alone(login_as):
    # At a household's scale the count read every message it ever had (15,000 with 5,000
    # orders) on every page; now the newest hundred unread at most.
    user = login_as("seller")
    _messages(user.id, unread=150, read=2000)
    count = select(services.unread_count_of(user.id))
    connection = db.session.connection()
    sql = str(count.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "postgresql":
        # PostgreSQL picks its index by its statistics; what it reads is what counts
        connection.exec_driver_sql("ANALYZE notifications")
        [(plan,)] = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).all()
        assert _rows_read(plan[0]["Plan"]) <= 400
    else:
        plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert "ix_notifications_unread" in plan
        assert "ix_notifications_user_id" not in plan
    assert db.session.scalar(count) == 100
