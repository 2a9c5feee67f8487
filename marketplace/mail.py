"""E-mail: to the log by default, through SMTP when ``SMTP_URL`` is set.

``SMTP_URL`` looks like ``smtp://user:password@host:587?starttls=1`` (or
``smtps://`` for TLS from the start). Mail is always sent by a job, after
the commit of the change it tells about.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from marketplace.jobs import enqueue, job

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail once the current unit of work commits."""
    enqueue("mail.deliver", to, subject, body)


@job("mail.deliver")
def deliver(to: str, subject: str, body: str) -> None:
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
