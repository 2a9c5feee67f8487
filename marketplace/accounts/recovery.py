"""Getting back in after forgetting the password: a signed link by e-mail.

The link carries the account's id and a fingerprint of its password hash, signed with
``SECRET_KEY`` and dated by the app's one clock. Setting a new password changes the hash,
so a link works once (and every older link dies with it); after 30 minutes it is refused.
Nothing is stored, so there is nothing to clean up.

A phone number typed, when the site sends WhatsApp (``WHATSAPP_*`` settings), gets a
six-digit code by WhatsApp instead (``accounts.codes``), typed on ``/akun/lupa-sandi/kode``
with the new password. Without WhatsApp, a household whose account has only a phone number
is told whom to ask (the same answer for every phone number typed, known or not).
"""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from marketplace.accounts import codes
from marketplace.accounts.models import User
from marketplace.accounts.passwords import burn_time, hash_password, password_problem
from marketplace.accounts.services import (
    PASSWORD_MESSAGES,
    AccountError,
    end_sessions,
    find_user_by_login,
    looks_like_phone,
)
from marketplace.db import db, now_utc, update_if
from marketplace.mail import send_mail

#: how long a link works
LINK_MINUTES = 30
_SALT = "password-reset"

#: what a request for a link is answered, whether or not the account exists
SENT_FOR_EMAIL = _l(
    "Bila akun dengan e-mail itu ada, kami sudah mengirim tautan untuk membuat kata sandi "
    "baru. Tautan berlaku 30 menit; periksa juga folder spam."
)
SENT_FOR_PHONE = _l(
    "Bila akun dengan nomor itu ada dan memakai e-mail, kami sudah mengirim tautan ke "
    "e-mail tersebut (berlaku 30 menit). Kode lewat WhatsApp belum tersedia: bila akun Anda "
    "hanya memakai nomor HP, hubungi admin atau PKK kabupaten Anda untuk mengatur ulang "
    "kata sandi."
)
SENT_BY_WHATSAPP = _l(
    "Bila akun dengan nomor itu ada, kami sudah mengirim kode 6 angka lewat WhatsApp ke "
    "nomor itu. Kode berlaku 10 menit."
)
USED = _l("Tautan ini sudah dipakai atau tidak berlaku. Minta tautan baru.")


class ClockSigner(TimestampSigner):
    """Dates a link by ``now_utc``, the clock the tests can move."""

    def get_timestamp(self) -> int:
        return int(now_utc().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT, signer=ClockSigner)


def _fingerprint(user: User) -> str:
    """Changes whenever the password does: a used link names a hash that is gone."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token(user: User) -> str:
    return _serializer().dumps([user.id, _fingerprint(user)])


def reset_url(user: User) -> str:
    return f"{current_app.config['SITE_URL'].rstrip('/')}/akun/atur-ulang/{reset_token(user)}"


def request_password_reset(login: str) -> None:
    """Mail a reset link to the account ``login`` names, when it has an e-mail.

    Says nothing back: whether an account exists is not told (the view answers the same).
    """
    user = find_user_by_login(login)
    if user is None or not user.is_active:
        return
    if codes_by_whatsapp(login):
        if user.phone:
            codes.issue(user, codes.RESET, user.phone)
        return
    if not user.email:
        return
    with force_locale(user.locale or "id"):
        send_mail(
            user.email,
            _("Atur ulang kata sandi Pasar Oleh-Oleh Kaltara"),
            _(
                "Halo %(name)s,\n\nAda permintaan untuk mengatur ulang kata sandi akun Anda. "
                "Buka tautan ini dalam %(minutes)s menit untuk membuat kata sandi baru:\n\n"
                "%(url)s\n\nTautan hanya bisa dipakai sekali. Bila Anda tidak memintanya, "
                "abaikan e-mail ini: kata sandi Anda tidak berubah.\n",
                name=user.name,
                minutes=LINK_MINUTES,
                url=reset_url(user),
            ),
        )


def codes_by_whatsapp(login: str) -> bool:
    """A phone number typed, and WhatsApp configured: the reset goes by a code."""
    return looks_like_phone(login) and codes.available()


def reset_answer(login: str) -> str:
    """What a request for a link is told: it depends on what was typed (and whether the
    site sends WhatsApp), never on whether an account exists, has an e-mail, or was sent
    anything."""
    if codes_by_whatsapp(login):
        return str(SENT_BY_WHATSAPP)
    return str(SENT_FOR_PHONE if looks_like_phone(login) else SENT_FOR_EMAIL)


def reset_with_code(login: str, code: str, password: str) -> User:
    """Set a new password with a code sent by WhatsApp; every other session ends. The same
    refusal whether the account, or its code, does not exist."""
    user = find_user_by_login(login)
    if user is None or not user.is_active:
        burn_time(password)
        raise AccountError(codes.WRONG, field="code")
    if problem := password_problem(password, user.email, user.phone):
        raise AccountError(PASSWORD_MESSAGES[problem], field="password")
    codes.redeem(user, codes.RESET, code)
    user.password_hash = hash_password(password)
    db.session.flush()
    end_sessions(user)
    return user


def user_for_reset(token: str) -> User:
    """The account a reset link is for; a refusal when it is forged, used or too old."""
    try:
        user_id, fingerprint = _serializer().loads(token, max_age=LINK_MINUTES * 60)
    except SignatureExpired as exc:
        raise AccountError(_l("Tautan ini sudah lewat 30 menit. Minta tautan baru.")) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise AccountError(_l("Tautan ini tidak berlaku. Minta tautan baru.")) from exc
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or _fingerprint(user) != fingerprint:
        raise AccountError(USED)
    return user


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link; every other session of the account ends."""
    user = user_for_reset(token)
    if problem := password_problem(password, user.email, user.phone):
        raise AccountError(PASSWORD_MESSAGES[problem], field="password")
    # Guarded by the hash the link was made for: of two uses of one link, one wins.
    old_hash, new_hash = user.password_hash, hash_password(password)
    if not update_if(User, user.id, User.password_hash == old_hash, password_hash=new_hash):
        raise AccountError(USED)
    db.session.refresh(user)
    end_sessions(user)
    return user
