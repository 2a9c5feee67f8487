"""Changing an account's e-mail or phone: the new one is confirmed before it counts.

A new phone number is confirmed by a six-digit code sent to it by WhatsApp
(``accounts.codes``); without WhatsApp configured the page says to ask the admin.


The person asks with their password; a signed link goes to the NEW address (proof that it
is theirs), and a note to the old one (so a stolen session cannot quietly take the
account). The link carries the account, the new address and a fingerprint of the current
one, so it works once: after the change, or any other change, it names an address that is
gone. It works for ``LINK_MINUTES`` by the app's one clock. Nothing is stored.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from marketplace.accounts import codes
from marketplace.accounts.models import User
from marketplace.accounts.recovery import USED, ClockSigner
from marketplace.accounts.services import (
    AccountError,
    check_password,
    normalise_email,
    normalise_phone,
)
from marketplace.db import db, update_if
from marketplace.mail import send_mail

LINK_MINUTES = 60
_SALT = "email-change"
TAKEN = _l("E-mail ini sudah dipakai akun lain.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT, signer=ClockSigner)


def _fingerprint(email: str | None) -> str:
    return hashlib.sha256((email or "").encode()).hexdigest()[:20]


def _taken(email: str, user: User) -> bool:
    return bool(db.session.scalar(select(User.id).where(User.email == email, User.id != user.id)))


def change_token(user: User, new_email: str) -> str:
    return _serializer().dumps([user.id, new_email, _fingerprint(user.email)])


def request_email_change(user: User, new_email: str, password: str) -> str:
    """Mail a confirmation link to ``new_email`` (and a note to the old address); returns
    the new address, normalised. The account's e-mail does not change yet."""
    check_password(user, password)
    email = normalise_email(new_email)
    if email == user.email:
        raise AccountError(_l("Ini sudah e-mail akun Anda."), field="email")
    if _taken(email, user):
        raise AccountError(TAKEN, field="email")
    url = f"{current_app.config['SITE_URL'].rstrip('/')}/akun/surel/{change_token(user, email)}"
    with force_locale(user.locale or "id"):
        send_mail(
            email,
            _("Konfirmasi e-mail baru Anda"),
            _(
                "Halo %(name)s,\n\nBuka tautan ini dalam %(minutes)s menit untuk memakai "
                "e-mail ini di akun Pasar Oleh-Oleh Kaltara Anda:\n\n%(url)s\n\nBila Anda "
                "tidak memintanya, abaikan e-mail ini.\n",
                name=user.name,
                minutes=LINK_MINUTES,
                url=url,
            ),
        )
        if user.email:
            send_mail(
                user.email,
                _("Permintaan mengganti e-mail akun Anda"),
                _(
                    "Halo %(name)s,\n\nAda permintaan untuk mengganti e-mail akun Anda menjadi "
                    "%(email)s. E-mail baru berlaku setelah dikonfirmasi dari alamat itu. Bila "
                    "bukan Anda yang meminta, ganti kata sandi Anda sekarang.\n",
                    name=user.name,
                    email=email,
                ),
            )
    return email


def _read(token: str) -> tuple[User, str]:
    """The account and new address of a link; a refusal when forged, used or too old, or
    when another account took the address meanwhile."""
    try:
        user_id, email, fingerprint = _serializer().loads(token, max_age=LINK_MINUTES * 60)
    except SignatureExpired as exc:
        raise AccountError(_l("Tautan ini sudah lewat 60 menit. Minta tautan baru.")) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise AccountError(_l("Tautan ini tidak berlaku. Minta tautan baru.")) from exc
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or _fingerprint(user.email) != fingerprint:
        raise AccountError(USED)
    if _taken(email, user):
        raise AccountError(TAKEN)
    return user, email


def check_change_token(token: str) -> str:
    """The new address a link would confirm (the page asks before changing anything)."""
    return _read(token)[1]


def confirm_email_change(token: str) -> User:
    """Make the address a link was sent to the account's e-mail."""
    user, email = _read(token)
    # Guarded by the address the link was made for: of two uses of one link, one wins.
    current = User.email == user.email if user.email else User.email.is_(None)
    if not update_if(User, user.id, current, email=email):
        raise AccountError(USED)
    db.session.refresh(user)
    return user


PHONE_TAKEN = _l("Nomor HP ini sudah dipakai akun lain.")


def _phone_taken(phone: str, user: User) -> bool:
    return bool(db.session.scalar(select(User.id).where(User.phone == phone, User.id != user.id)))


def request_phone_change(user: User, new_phone: str, password: str) -> str:
    """Send a code by WhatsApp to ``new_phone``; returns it normalised. Nothing changes yet."""
    if not codes.available():
        raise AccountError(
            _l(
                "Konfirmasi nomor lewat WhatsApp belum tersedia di situs ini. Hubungi admin "
                "untuk mengganti nomor HP."
            ),
            field="phone",
        )
    check_password(user, password)
    phone = normalise_phone(new_phone)
    if phone == user.phone:
        raise AccountError(_l("Ini sudah nomor HP akun Anda."), field="phone")
    if _phone_taken(phone, user):
        raise AccountError(PHONE_TAKEN, field="phone")
    codes.issue(user, codes.PHONE, phone)
    return phone


def confirm_phone_change(user: User, code: str) -> str:
    """Make the number a code was sent to the account's phone; returns it."""
    sent = codes.redeem(user, codes.PHONE, code)
    if _phone_taken(sent.phone, user):
        raise AccountError(PHONE_TAKEN, field="code")
    user.phone = sent.phone
    db.session.flush()
    return sent.phone
