"""E-mail: to the log by default, through SMTP when ``SMTP_URL`` is set.

``SMTP_URL`` looks like ``smtp://user:password@host:587?starttls=1`` (or
``smtps://`` for TLS from the start). Mail is always sent by a job, after
the commit of the change it tells about: ``send_mail`` writes the message to the
``outgoing_mails`` table in the same transaction as that change, and the job takes
its id, reloads it and sends it only if it was not sent yet.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import UTCDateTime, db, now_utc, write_transaction
from marketplace.jobs import enqueue, job

log = logging.getLogger(__name__)


class OutgoingMail(db.Model):
    """An e-mail to send: written with the change it tells about, marked when sent."""

    __tablename__ = "outgoing_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail once the current unit of work commits."""
    mail = OutgoingMail(to=to, subject=subject, body=body)
    db.session.add(mail)
    db.session.flush()
    enqueue("mail.send", mail.id)


@job("mail.send")
def send_outgoing(mail_id: int) -> None:
    """Send one stored e-mail; one already sent is not sent again."""
    # Workers racing on SQLite: take the write lock at BEGIN (PostgreSQL: the row lock).
    with write_transaction():
        mail = db.session.scalar(
            select(OutgoingMail)
            .where(OutgoingMail.id == mail_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the row as it is now, not as loaded
        )
    if mail is None or mail.sent_at is not None:
        return
    deliver(mail.to, mail.subject, mail.body)
    mail.sent_at = now_utc()


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
