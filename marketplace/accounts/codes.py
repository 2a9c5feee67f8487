"""Six-digit codes sent by WhatsApp: a forgotten password set again by a household that
has only its phone, and a new phone number confirmed before it counts.

A code is sent through the WhatsApp Cloud API as the authentication template
``kode_verifikasi`` (Meta's preset text with a copy-code button, deploy/
whatsapp_templates.json), by a job after the commit. It works for ``CODE_MINUTES`` by the
app's one clock, for ``MAX_TRIES`` attempts, once; a newer code of the same account and
purpose replaces it. Only a keyed hash of it is stored. Without WhatsApp configured
nothing is sent and the pages say what to do instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.accounts.models import User
from marketplace.accounts.services import AccountError
from marketplace.db import UTCDateTime, db, now_utc, update_if
from marketplace.jobs import enqueue, job
from marketplace.notify.services import whatsapp_on
from marketplace.notify.whatsapp import send_template

CODE_MINUTES = 10
MAX_TRIES = 5
RESET, PHONE = "reset", "phone"
TEMPLATE = "kode_verifikasi"
WRONG = _l("Kode salah atau sudah tidak berlaku. Minta kode baru bila perlu.")


class ContactCode(db.Model):
    """One code sent to a phone: to reset a password, or to confirm a new number."""

    __tablename__ = "contact_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: "reset" or "phone"
    purpose: Mapped[str] = mapped_column(String(8))
    #: E.164: where the code went (for "phone", the number it confirms)
    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


def _hash(code: str, user_id: int, purpose: str, phone: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{user_id}:{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def available() -> bool:
    return whatsapp_on()


def issue(user: User, purpose: str, phone: str) -> None:
    """Send a new code to ``phone`` for ``user`` (after the commit); older ones stop working."""
    now = now_utc()
    db.session.execute(
        update(ContactCode)
        .where(
            ContactCode.user_id == user.id,
            ContactCode.purpose == purpose,
            ContactCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        ContactCode(
            user_id=user.id,
            purpose=purpose,
            phone=phone,
            code_hash=_hash(code, user.id, purpose, phone),
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
    )
    db.session.flush()
    enqueue("accounts.send_code", phone, code, user.locale or "id")


@job("accounts.send_code")
def send_code(phone: str, code: str, locale: str) -> None:
    send_template(phone, TEMPLATE, locale, [code], code)


def redeem(user: User, purpose: str, code: str) -> ContactCode:
    """Use ``code``: the record it was sent with, or a refusal (wrong, old, used, too many
    tries). Each attempt counts, guarded, so two at once cannot both try the last one."""
    current = db.session.scalar(
        select(ContactCode)
        .where(
            ContactCode.user_id == user.id,
            ContactCode.purpose == purpose,
            ContactCode.used_at.is_(None),
            ContactCode.expires_at > now_utc(),
        )
        .order_by(ContactCode.id.desc())
        .limit(1)
    )
    if current is None or not update_if(
        ContactCode,
        current.id,
        ContactCode.tries < MAX_TRIES,
        ContactCode.used_at.is_(None),
        tries=ContactCode.tries + 1,
    ):
        raise AccountError(WRONG, field="code")
    # The try counts even when the code is wrong and the rest of the request rolls back.
    db.session.commit()
    typed = "".join((code or "").split())
    expected = _hash(typed, user.id, purpose, current.phone)
    if not hmac.compare_digest(expected, current.code_hash):
        raise AccountError(WRONG, field="code")
    if not update_if(ContactCode, current.id, ContactCode.used_at.is_(None), used_at=now_utc()):
        raise AccountError(WRONG, field="code")
    return current
