"""E-mail: to the log by default, through SMTP when ``SMTP_URL`` is set.

``SMTP_URL`` looks like ``smtp://user:password@host:587?starttls=1`` (or
``smtps://`` for TLS from the start). Mail is always sent by a job, after
the commit of the change it tells about: ``send_mail`` writes the message to the
``outgoing_mails`` table (the outbox) in the same transaction as that change, and
job ``mail.send`` sends it once, however often it runs.

A row moves ``queued`` → ``sending`` (claimed by one job run) → ``sent``; a failed
attempt puts it back to ``queued``, or to ``failed`` after ``MAX_ATTEMPTS``, where an
admin sees it and can queue it again. ``flask jobs sweep`` (cron) queues again what a
lost job left unsent: the enqueue never happened (a web worker killed after the commit),
Redis lost its queue, or a worker died holding a claim.

Exactly once, but for one window: the SMTP server accepted the message and the
``sent`` mark was not committed (the process died, the database went away). The row
stays ``sending``; once the claim is abandoned (``CLAIM_MINUTES``) it is sent again.
Nothing else sends a mail twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace import outbox
from marketplace.db import UTCDateTime, db, now_utc, update_if, write_transaction
from marketplace.errors import MarketplaceError, NotFound
from marketplace.jobs import enqueue, job, sweeper
from marketplace.outbox import CLAIM_MINUTES, FAILED, QUEUED, SENDING, SENT

log = logging.getLogger(__name__)

MAIL_STATUSES = (QUEUED, SENDING, SENT, FAILED)


class OutgoingMail(db.Model):
    """An e-mail to send: written with the change it tells about; its status says if it went."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in MAIL_STATUSES)),
            name="known_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, server_default=QUEUED)
    #: Claims so far (each run of the job that tried to send it).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When the last attempt began; the sweep waits CLAIM_MINUTES after it.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Why the last attempt failed, for the admin's page.
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class MailError(MarketplaceError):
    """A mail cannot be queued again (it is no longer failed)."""


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail once the current unit of work commits."""
    mail = OutgoingMail(to=to, subject=subject, body=body)
    db.session.add(mail)
    db.session.flush()
    enqueue("mail.send", mail.id)


@job("mail.send")
def send_outgoing(mail_id: int) -> None:
    """Send one stored e-mail, once: claim it, send it, mark it sent (three commits)."""
    now = now_utc()
    # The claim is committed before SMTP is spoken to: a second run of this job (a retry,
    # the sweep's copy) finds the row taken and does nothing.
    if not outbox.claim(OutgoingMail, mail_id, now):
        return
    mail = db.session.get(OutgoingMail, mail_id, populate_existing=True)
    message = (mail.to, mail.subject, mail.body)
    # End the read before SMTP: the mark below must begin as a writer, or SQLite refuses
    # it at once ("database is locked") when another worker committed in between.
    db.session.rollback()
    try:
        deliver(*message)
    except Exception as error:
        outbox.give_back(OutgoingMail, mail_id, now, error)
        raise  # RQ runs it again after a wait (jobs.RETRY_INTERVALS); else the sweep
    # Only the run holding this claim marks it; a crash before this commit is the one
    # window in which the mail is sent again after the claim is abandoned.
    with write_transaction():
        outbox.mark(OutgoingMail, mail_id, now, SENT, sent_at=now_utc())
        db.session.commit()


@sweeper
def requeue_unsent_mails() -> int:
    """Queue again each mail left unsent ``CLAIM_MINUTES`` after it was written or last tried."""
    cutoff = now_utc() - dt.timedelta(minutes=CLAIM_MINUTES)
    last_try = func.coalesce(OutgoingMail.claimed_at, OutgoingMail.created_at)
    outbox.end_abandoned(OutgoingMail, cutoff)
    mail_ids = db.session.scalars(
        select(OutgoingMail.id)
        .where(OutgoingMail.status.in_((QUEUED, SENDING)), last_try < cutoff)
        .order_by(OutgoingMail.id)
    ).all()
    for mail_id in mail_ids:
        enqueue("mail.send", mail_id)
    return len(mail_ids)


def failed_mails(limit: int = 200) -> list[OutgoingMail]:
    """Mails that used up their attempts, newest first (the admin's page)."""
    return list(
        db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.status == FAILED)
            .order_by(OutgoingMail.id.desc())
            .limit(limit)
        )
    )


def retry_mail(mail_id: int) -> OutgoingMail:
    """Give a failed mail its attempts again and queue it (an admin's "Kirim lagi")."""
    if db.session.get(OutgoingMail, mail_id) is None:
        raise NotFound(_l("Surel tidak ditemukan."))
    if not update_if(
        OutgoingMail,
        mail_id,
        OutgoingMail.status == FAILED,
        status=QUEUED,
        attempts=0,
        claimed_at=None,
    ):
        raise MailError(_l("Surel ini tidak lagi gagal: sudah dikirim atau sudah diantrekan."))
    enqueue("mail.send", mail_id)
    return db.session.get(OutgoingMail, mail_id, populate_existing=True)


@job("mail.deliver")
def deliver(to: str, subject: str, body: str) -> None:
    """Send a message now (inside a job). Also the job name of mail queued before
    ``outgoing_mails`` existed, so those still go out after an upgrade."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    url = current_app.config.get("SMTP_URL")
    if not url:
        log.info("mail to %s: %s\n%s", to, subject, body)
        return
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parts.hostname, port, timeout=30) as smtp:
        if options.get("starttls", ["0"])[0] in ("1", "true"):
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)
