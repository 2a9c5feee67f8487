"""The outbox of mails: each mail delivered exactly once, whatever happens to its job.

Every test checks what a real SMTP server (aiosmtpd, fixture ``inbox``) received.
"""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import delete, event, select

from marketplace import jobs
from marketplace.db import db
from marketplace.mail import (
    OutgoingMail,
    send_mail,
)
from marketplace.notify.models import Delivery
from marketplace.outbox import CLAIM_MINUTES, FAILED, MAX_ATTEMPTS, QUEUED, SENDING, SENT
from tests import factories
from tests.conftest import csrf_token_from
from tests.servers import free_port


@pytest.fixture(autouse=True)
def own_outbox():
    """These tests count the whole outbox (what a sweep queues again): mails that other
    tests' servers committed for real (a browser journey's order mails) are set aside,
    inside this test's own transaction; so are the messages waiting to become mails."""
    db.session.execute(delete(OutgoingMail))
    db.session.execute(delete(Delivery))


def mails_to(address: str) -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.to == address)))


def sweep(app) -> str:
    """Run ``flask jobs sweep`` as cron does (without Redis its jobs run in the command)."""
    result = app.test_cli_runner().invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    # The command ran in the test's app context, whose end (running the jobs) is here.
    jobs.run_pending_jobs()
    return result.output


def subjects(inbox) -> list[str]:
    return sorted(message["Subject"] for message in inbox.messages)


@pytest.fixture
def queue(app, own_redis, monkeypatch):
    """A Redis queue of this run's own, and an RQ worker that works it in this process."""
    redis = Redis.from_url(own_redis)
    redis.flushall()
    app.config["REDIS_URL"] = own_redis
    monkeypatch.setattr(jobs, "_worker_app", app)
    queue = Queue(jobs.QUEUE_NAME, connection=redis)
    yield queue
    app.config["REDIS_URL"] = ""
    redis.flushall()


class BurstWorker(SimpleWorker):
    """``flask jobs worker --burst``'s worker, without the channel of commands to a running
    worker: a burst takes none, and the channel's thread needs up to 60 s to stop."""

    def subscribe(self) -> None:
        pass


def work(queue) -> None:
    """What ``flask jobs worker --burst`` does, in this process (and on this test's data)."""
    BurstWorker([queue], connection=queue.connection).work(burst=True)


def test_a_mail_committed_but_never_queued_is_sent_once_by_the_sweep(app, inbox, clock):
    # A web worker killed between its commit and the enqueue: the row is in the database,
    # no job was ever queued for it.
    send_mail("siti@contoh.id", "Pesanan baru", "Ada pesanan baru untuk toko Anda.")
    db.session.info.pop("pending_jobs")
    db.session.commit()
    assert jobs.run_pending_jobs() == 0

    # Its job may still be on its way for a few minutes: the sweep leaves it alone.
    assert "0 job(s) queued again" in sweep(app)
    assert inbox.messages == []

    clock.move(minutes=CLAIM_MINUTES + 1)
    assert "1 job(s) queued again" in sweep(app)
    assert subjects(inbox) == ["Pesanan baru"]

    clock.move(minutes=CLAIM_MINUTES + 1)
    assert "0 job(s) queued again" in sweep(app)
    [mail] = mails_to("siti@contoh.id")
    assert (mail.status, mail.attempts, subjects(inbox)) == (SENT, 1, ["Pesanan baru"])


def test_mails_queued_when_redis_restarts_empty_are_each_sent_once(app, inbox, clock, queue):
    for number in range(15):
        send_mail(f"rumah{number}@contoh.id", f"Pesanan baru {number:02}", "Ada pesanan baru.")
    db.session.commit()
    assert queue.count == 15

    queue.connection.flushall()  # Redis restarted with nothing on disk: the queue is gone
    work(queue)
    assert inbox.messages == []

    clock.move(minutes=CLAIM_MINUTES + 1)
    assert "15 job(s) queued again" in sweep(app)
    assert queue.count == 15
    work(queue)
    assert subjects(inbox) == [f"Pesanan baru {number:02}" for number in range(15)]

    # A second sweep (cron on two machines, say) and its jobs send nothing more.
    clock.move(minutes=CLAIM_MINUTES + 1)
    assert "0 job(s) queued again" in sweep(app)
    for number in range(3):  # and jobs delivered twice by the queue do nothing
        jobs.enqueue("mail.send", mails_to(f"rumah{number}@contoh.id")[0].id)
    db.session.commit()
    work(queue)
    assert len(inbox.messages) == 15


@pytest.fixture
def database_fails_once(app):
    """The next UPDATE of the outbox fails as a lost database connection would."""
    failures = []

    def fail(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outgoing_mails") and not failures:
            failures.append(statement)
            raise conn.dialect.loaded_dbapi.OperationalError("server closed the connection")

    event.listen(db.engine, "before_cursor_execute", fail)
    yield failures
    event.remove(db.engine, "before_cursor_execute", fail)


def test_a_mail_job_failing_on_a_database_error_is_retried_by_rq_and_sent_once(
    app, inbox, queue, database_fails_once
):
    send_mail("ani@contoh.id", "Pesanan diterima", "Terima kasih.")
    db.session.commit()
    work(queue)
    assert database_fails_once and inbox.messages == []
    [mail] = mails_to("ani@contoh.id")
    assert mail.status == QUEUED

    # RQ keeps the failed job, to run it again after a wait (jobs.RETRY_INTERVALS).
    scheduled = queue.scheduled_job_registry
    [job_id] = scheduled.get_job_ids()
    job = queue.fetch_job(job_id)
    assert job.retries_left == jobs.RETRY_MAX - 1
    assert job.retry_intervals == list(jobs.RETRY_INTERVALS)

    scheduled.requeue(job_id)  # the wait is over: the scheduler puts it back on the queue
    work(queue)
    assert subjects(inbox) == ["Pesanan diterima"]
    [mail] = mails_to("ani@contoh.id")
    assert (mail.status, mail.attempts) == (SENT, 1)


def test_a_mail_held_by_a_worker_that_died_is_sent_once_after_the_claim_is_abandoned(
    app, inbox, clock
):
    send_mail("budi@contoh.id", "Kode masuk", "123456")
    db.session.info.pop("pending_jobs")
    db.session.commit()
    [mail] = mails_to("budi@contoh.id")
    # A worker claimed it and was killed before speaking to the SMTP server.
    mail.status, mail.claimed_at, mail.attempts = SENDING, clock.now, 1
    db.session.commit()

    jobs.enqueue("mail.send", mail.id)  # a copy of the job, while the claim is young
    db.session.commit()
    jobs.run_pending_jobs()
    assert inbox.messages == []

    clock.move(minutes=CLAIM_MINUTES + 1)
    assert "1 job(s) queued again" in sweep(app)
    assert subjects(inbox) == ["Kode masuk"]
    [mail] = mails_to("budi@contoh.id")
    assert (mail.status, mail.attempts) == (SENT, 2)


def test_a_mail_that_keeps_failing_ends_failed_and_an_admin_sends_it_again(
    app, client, inbox, clock, login_as, csrf
):
    smtp_url = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    send_mail("citra@contoh.id", "Pesanan dikirim", "Paket Anda sudah dikirim.")
    db.session.commit()
    jobs.run_pending_jobs()
    for _ in range(MAX_ATTEMPTS - 1):
        clock.move(minutes=CLAIM_MINUTES + 1)
        assert "1 job(s) queued again" in sweep(app)
    [mail] = mails_to("citra@contoh.id")
    assert (mail.status, mail.attempts) == (FAILED, MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in mail.last_error
    clock.move(minutes=CLAIM_MINUTES + 1)
    assert "0 job(s) queued again" in sweep(app)

    app.config["SMTP_URL"] = smtp_url  # the mail server is back
    login_as("admin")
    page = client.get("/admin/surel").get_data(as_text=True)
    assert "citra@contoh.id" in page and "Pesanan dikirim" in page
    assert "ConnectionRefusedError" in page and "Kirim lagi" in page
    assert client.post(f"/admin/surel/{mail.id}/kirim-lagi").status_code == 400  # no token

    retry = {"csrf_token": csrf_token_from(page)}
    response = client.post(f"/admin/surel/{mail.id}/kirim-lagi", data=retry)
    assert response.status_code == 303
    assert subjects(inbox) == ["Pesanan dikirim"]
    # The same button pressed again (a second tab): nothing more is sent.
    response = client.post(f"/admin/surel/{mail.id}/kirim-lagi", data=retry, follow_redirects=True)
    assert "tidak lagi gagal" in response.get_data(as_text=True)
    assert subjects(inbox) == ["Pesanan dikirim"]
    [mail] = mails_to("citra@contoh.id")
    assert (mail.status, mail.attempts) == (SENT, 1)
    assert "citra@contoh.id" not in client.get("/admin/surel").get_data(as_text=True)


def test_the_failed_mails_page_is_for_admins_only(client, login_as):
    factories.make_failed_mail(to="rahasia@contoh.id")
    login_as("seller")
    assert client.get("/admin/surel").status_code == 403
