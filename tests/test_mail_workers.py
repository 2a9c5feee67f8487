"""Two mail workers on one SQLite database finish at the same moment: each mail is sent
once and marked sent at once (no "database is locked", no RQ retry a minute later).

Its own file: the outbox tests clear the outbox inside the test's transaction, which holds
SQLite's write lock that this test's committing workers need."""

from __future__ import annotations

from sqlalchemy import delete

from marketplace import jobs
from marketplace import mail as outbox
from marketplace.db import db
from marketplace.mail import SENT, OutgoingMail
from tests.cleanup import committing_session


def test_two_workers_finishing_at_the_same_moment_each_mark_their_mail_sent(
    app, inbox, monkeypatch
):
    """Two `flask jobs worker` processes on one SQLite database: while one speaks to the
    SMTP server, the other sends and marks its own mail. The first must still mark its
    mail sent (before, SQLite refused the mark at once and RQ retried a minute later)."""
    with committing_session(lambda: db.session.execute(delete(OutgoingMail))):
        first = OutgoingMail(to="ani@contoh.id", subject="Pesanan baru", body="Satu")
        second = OutgoingMail(to="budi@contoh.id", subject="Pesanan dikirim", body="Dua")
        db.session.add_all([first, second])
        db.session.commit()
        first_id, second_id = first.id, second.id
        speak_smtp = outbox.deliver

        def meanwhile_the_other_worker_finishes(to, subject, body):
            speak_smtp(to, subject, body)
            if to == "ani@contoh.id":
                with app.app_context():  # the other worker: its own session and connection
                    jobs._run("mail.send", (second_id,))

        monkeypatch.setattr(outbox, "deliver", meanwhile_the_other_worker_finishes)
        with app.app_context():
            jobs._run("mail.send", (first_id,))

        db.session.rollback()  # a fresh read, after both workers' commits
        states = [db.session.get(OutgoingMail, i).status for i in (first_id, second_id)]
        assert states == [SENT, SENT]
        assert sorted(m["Subject"] for m in inbox.messages) == ["Pesanan baru", "Pesanan dikirim"]
