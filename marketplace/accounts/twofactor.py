"""A second factor at sign-in: an authenticator app (TOTP, RFC 6238) and recovery codes.

Admins must have one (an admin without it is sent to set it up before any admin page,
``access.role_required``); the officers who approve quotes may (the institutions package
says who they are through :func:`may_also_use`). The app's secret is shown once as a QR
code (SVG, drawn on the server by ``segno``) and as text; it is on once the user types a
code it made. Then sign-in asks, after the password, for the 6-digit code or one of ten
recovery codes, each good once and kept only as its SHA-256. A code is taken once: the
step it belongs to is remembered, so a code seen over a shoulder cannot sign in again.
Functions flush and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from marketplace.accounts.models import RecoveryCode, Role, SecondFactor, User
from marketplace.accounts.passwords import verify_password
from marketplace.accounts.services import AccountError
from marketplace.db import db, now_utc

ISSUER = "Pasar Oleh-Oleh Kaltara"
#: the codes of the step before and after are taken too (a phone's clock a little off)
WINDOW = 1
RECOVERY_CODES = 10

#: who else may turn it on, besides admins (registered by the packages above)
_MAY_USE: list[Callable[[User], bool]] = []


def may_also_use(check: Callable[[User], bool]) -> Callable[[User], bool]:
    """Register who else may turn on a second factor (a decorator)."""
    _MAY_USE.append(check)
    return check


def may_use(user: User) -> bool:
    return user.has_role(Role.ADMIN) or any(check(user) for check in _MAY_USE)


def required(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def factor_of(user_id: int) -> SecondFactor | None:
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user_id))


def is_on(user_id: int) -> bool:
    factor = factor_of(user_id)
    return factor is not None and factor.confirmed_at is not None


def start_setup(user: User) -> SecondFactor:
    """A new secret for the app, not on until confirmed (a setup not finished is replaced)."""
    if not may_use(user):
        raise AccountError(_l("Verifikasi dua langkah hanya untuk admin dan pejabat penyetuju."))
    factor = factor_of(user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise AccountError(_l("Verifikasi dua langkah sudah aktif."))
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(factor)
    db.session.flush()
    return factor


def provisioning_uri(user: User, factor: SecondFactor) -> str:
    return pyotp.TOTP(factor.secret).provisioning_uri(
        name=user.email or user.phone or str(user.id), issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element (no script, no request)."""
    return segno.make(uri, error="m").svg_inline(scale=4, title=ISSUER)


def _step_of(secret: str, code: str) -> int | None:
    """The 30-second step whose code ``code`` is, around now; None when none is."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = now_utc()
    step = totp.timecode(now)
    for offset in range(-WINDOW, WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


def _hash(code: str) -> str:
    plain = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(plain.encode()).hexdigest()


def new_recovery_codes(user_id: int) -> list[str]:
    """Ten fresh recovery codes (the old ones end); shown once, kept hashed."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits, typed as two groups of five
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user_id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def confirm_setup(user: User, code: str) -> list[str]:
    """The app made a right code: the factor is on. Returns the recovery codes."""
    factor = factor_of(user.id)
    if factor is None or factor.confirmed_at is not None:
        raise AccountError(_l("Mulai lagi pengaturan verifikasi dua langkah."))
    step = _step_of(factor.secret, code)
    if step is None:
        raise AccountError(_l("Kode salah. Ketik 6 angka yang tampil di aplikasi."), field="code")
    moved = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.id == factor.id, SecondFactor.confirmed_at.is_(None))
        .values(confirmed_at=now_utc(), last_step=step)
    )
    if not moved.rowcount:
        raise AccountError(_l("Verifikasi dua langkah sudah aktif."))
    return new_recovery_codes(user.id)


def check_code(user_id: int, code: str) -> bool:
    """The code from the app (taken once) or an unused recovery code (then used up)."""
    factor = factor_of(user_id)
    if factor is None or factor.confirmed_at is None:
        return False
    step = _step_of(factor.secret, code)
    if step is not None:
        # Guarded: the same code twice, or two requests with it at once, pass once.
        taken = db.session.execute(
            update(SecondFactor)
            .where(SecondFactor.id == factor.id, SecondFactor.last_step < step)
            .values(last_step=step)
        )
        return bool(taken.rowcount)
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now_utc())
    )
    return bool(used.rowcount)


def recovery_codes_left(user_id: int) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def turn_off(user: User, password: str, code: str) -> None:
    """Off again, with the password and a code; never for an admin, who must keep it."""
    if required(user):
        raise AccountError(_l("Admin wajib memakai verifikasi dua langkah."))
    if not verify_password(user.password_hash, password or ""):
        raise AccountError(_l("Kata sandi salah."), field="password")
    if not check_code(user.id, code or ""):
        raise AccountError(_l("Kode salah atau sudah dipakai."), field="code")
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.flush()


def verify_sign_in(user_id: int, code: str) -> None:
    """The second step of signing in: refused (AccountError) unless the code is right."""
    if not check_code(user_id, code):
        raise AccountError(_l("Kode salah atau sudah dipakai."), field="code")
