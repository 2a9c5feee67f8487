"""Jobs and mail: after the commit only, inline by default, through Redis and a worker process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from redis import Redis
from sqlalchemy import delete

from marketplace.accounts import services
from marketplace.db import db
from marketplace.jobs import QUEUE_NAME, run_pending_jobs
from marketplace.mail import OutgoingMail, send_mail
from tests.conftest import database_url
from tests.servers import ROOT


def test_sign_up_sends_a_welcome_mail_over_smtp(client, inbox):
    client.post(
        "/akun/daftar",
        data={"name": "Ibu Rina", "email": "rina@contoh.id", "password": "kepiting soka enak"},
    )
    [message] = inbox.messages
    assert message["To"] == "rina@contoh.id"
    assert message["Subject"] == "Selamat datang di Pasar Oleh-Oleh Kaltara"
    assert "Halo Ibu Rina" in message.get_payload(decode=True).decode()


def test_nothing_is_sent_when_the_unit_of_work_rolls_back(inbox):
    with pytest.raises(services.AccountError):
        services.register_user(name="A", email="a@contoh.id", phone="123", password="x" * 12)
    db.session.rollback()
    send_mail("b@contoh.id", "Tidak jadi", "...")
    db.session.rollback()
    assert run_pending_jobs() == 0
    assert inbox.messages == []


def test_mail_goes_only_after_commit(inbox):
    send_mail("c@contoh.id", "Pesanan diterima", "Terima kasih.")
    assert run_pending_jobs() == 0  # not committed yet
    db.session.commit()
    assert run_pending_jobs() == 1
    assert [m["Subject"] for m in inbox.messages] == ["Pesanan diterima"]


@pytest.fixture
def redis_queue(app, own_redis):
    redis = Redis.from_url(own_redis)
    redis.flushdb()
    app.config["REDIS_URL"] = own_redis
    yield redis
    app.config["REDIS_URL"] = ""
    redis.flushdb()


def test_with_redis_a_worker_process_does_the_job(app, inbox, redis_queue, tmp_path, monkeypatch):
    # The worker is another process: the stored mail must be committed for real, in a
    # session outside the test's rolled-back transaction.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    send_mail("d@contoh.id", "Dari antrean", "Dikirim oleh pekerja.")
    db.session.commit()
    assert run_pending_jobs() == 0  # queued, not run here
    assert redis_queue.llen(f"rq:queue:{QUEUE_NAME}") == 1
    env = {
        **os.environ,
        "REDIS_URL": app.config["REDIS_URL"],
        "SMTP_URL": app.config["SMTP_URL"],
        "DATABASE_URL": database_url(),
        "INSTANCE_PATH": str(tmp_path),
        "FLASK_APP": "wsgi:app",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        assert result.returncode == 0, result.stderr
        assert [m["Subject"] for m in inbox.messages] == ["Dari antrean"]
        assert redis_queue.llen(f"rq:queue:{QUEUE_NAME}") == 0
    finally:
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.to == "d@contoh.id"))
        db.session.commit()
        db.session.remove()


def test_worker_refuses_to_start_without_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_a_mail_job_run_twice_sends_once(inbox):
    from sqlalchemy import select

    from marketplace.jobs import JOBS

    send_mail("e@contoh.id", "Sekali saja", "Satu kali.")
    db.session.commit()
    mail = db.session.scalar(select(OutgoingMail).where(OutgoingMail.to == "e@contoh.id"))
    assert run_pending_jobs() == 1
    # A queue may deliver the same job again (a worker died before acknowledging it).
    JOBS["mail.send"](mail.id)
    db.session.commit()
    assert [m["Subject"] for m in inbox.messages] == ["Sekali saja"]
    db.session.refresh(mail)
    assert mail.sent_at is not None
