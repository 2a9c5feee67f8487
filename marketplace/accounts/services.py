"""Account operations. They flush, never commit: the caller owns the transaction."""

from __future__ import annotations

import contextlib

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Role, RoleGrant, User, new_session_token
from marketplace.accounts.passwords import (
    burn_time,
    hash_password,
    password_problem,
    verify_password,
)
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.mail import send_mail
from marketplace.numbers import is_ascii_digits
from marketplace.once import added_once

PASSWORD_MESSAGES = {
    "too_short": _l("Kata sandi minimal 8 karakter."),
    "too_long": _l("Kata sandi terlalu panjang (maksimal 256 karakter)."),
    "common": _l("Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain."),
    "personal": _l("Kata sandi tidak boleh memuat e-mail atau nomor HP Anda."),
}


class AccountError(MarketplaceError):
    pass


def normalise_phone(text: str) -> str:
    """``0812-3456-789``, ``+62 812 3456 789`` and ``62812...`` all become ``+628123456789``."""
    cleaned = text.strip()
    if cleaned.startswith("62"):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, "ID")
    except phonenumbers.NumberParseException as exc:
        raise AccountError(_l("Nomor HP tidak dikenali."), field="phone") from exc
    if number.country_code != 62 or not phonenumbers.is_valid_number(number):
        raise AccountError(
            _l("Nomor HP Indonesia tidak valid. Contoh: 0812 3456 7890."), field="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str:
    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(_l("Alamat e-mail tidak valid."), field="email") from exc
    return result.normalized.lower()


def looks_like_phone(login: str) -> bool:
    stripped = login.strip().replace(" ", "").replace("-", "")
    return is_ascii_digits(stripped.lstrip("+"))


def find_user_by_login(login: str) -> User | None:
    """Find a user by e-mail or Indonesian phone number, in any common spelling."""
    login = login.strip()
    if not login:
        return None
    if looks_like_phone(login):
        try:
            phone = normalise_phone(login)
        except AccountError:
            return None
        return db.session.scalar(select(User).where(User.phone == phone))
    return db.session.scalar(select(User).where(User.email == login.lower()))


def sign_in_limit_key(login: str) -> str:
    """Whom a sign-in attempt counts against: the account the login names, however written.

    An e-mail, ``08…``, ``+62…`` or ``62…`` of one account all give that account's key, so
    the guesses add up whichever spelling is tried. A login that names no account gives
    the login itself, normalised: it is limited just the same, and says nothing of whether
    an account exists.
    """
    login = login.strip()
    # A login no form would take (too long, a NUL) is limited without asking the database.
    asked = login and len(login) <= 254 and "\x00" not in login
    if asked and (user := find_user_by_login(login)) is not None:
        return f"user:{user.id}"
    login = login.lower()[:254]
    if looks_like_phone(login):
        with contextlib.suppress(AccountError):
            login = normalise_phone(login)
    return f"login:{login}"


def register_user(
    *,
    name: str,
    email: str | None,
    phone: str | None,
    password: str,
    locale: str | None = None,
    welcome: bool = True,
) -> User:
    """Create a buyer account; e-mail or phone (or both) identify it."""
    email = normalise_email(email) if email and email.strip() else None
    phone = normalise_phone(phone) if phone and phone.strip() else None
    if not email and not phone:
        raise AccountError(_l("Isi e-mail atau nomor HP."), field="email")
    if problem := password_problem(password, email, phone):
        raise AccountError(PASSWORD_MESSAGES[problem], field="password")
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(_l("E-mail ini sudah terdaftar. Silakan masuk."), field="email")
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        raise AccountError(_l("Nomor HP ini sudah terdaftar. Silakan masuk."), field="phone")
    user = User(
        name=name.strip(),
        email=email,
        phone=phone,
        password_hash=hash_password(password),
        locale=locale,
    )
    user.role_grants.append(RoleGrant(role=Role.BUYER.value))
    if not added_once(user):
        # the same sign-up sent twice at once (a double tap): the first made the account
        if email:
            raise AccountError(_l("E-mail ini sudah terdaftar. Silakan masuk."), field="email")
        raise AccountError(_l("Nomor HP ini sudah terdaftar. Silakan masuk."), field="phone")
    if email and welcome:
        send_mail(
            email,
            _("Selamat datang di Pasar Oleh-Oleh Kaltara"),
            _(
                "Halo %(name)s,\n\nAkun Anda sudah dibuat. Selamat berbelanja oleh-oleh "
                "khas Kalimantan Utara langsung dari industri rumahan.\n",
                name=user.name,
            ),
        )
    return user


def authenticate(login: str, password: str) -> User:
    """The user these credentials belong to; one message for every failure."""
    user = find_user_by_login(login)
    if user is None:
        burn_time(password)
    elif user.is_active and verify_password(user.password_hash, password):
        return user
    raise AccountError(_l("E-mail/nomor HP atau kata sandi salah."))


def check_password(user: User, password: str) -> None:
    """The password again, before something that cannot be undone (closing the account)."""
    if not password or not verify_password(user.password_hash, password):
        raise AccountError(_l("Kata sandi salah."), field="password")


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of this user (sign-out, password change)."""
    user.session_token = new_session_token()
    db.session.flush()


def grant_role(user: User, role: Role, granted_by: User | None = None) -> bool:
    """Give a role; returns False when the user already held it."""
    if role in user.roles:
        return False
    grant = RoleGrant(
        user_id=user.id, role=role.value, granted_by_id=granted_by.id if granted_by else None
    )
    # Held once (unique): a twin request granting it at the same moment wrote it first.
    granted = added_once(grant)
    db.session.expire(user, ["role_grants"])
    return granted


def revoke_role(user: User, role: Role, revoked_by: User | None = None) -> bool:
    """Take a role away; an admin cannot take away their own admin role, and nobody the
    last active admin's (the site would be left with nobody to run it)."""
    if role is Role.ADMIN and revoked_by is not None and revoked_by.id == user.id:
        raise AccountError(_l("Anda tidak dapat mencabut peran admin Anda sendiri."))
    if role is Role.ADMIN and role in user.roles and not _another_admin(user):
        raise AccountError(
            _l("Ini admin terakhir: berikan peran admin kepada orang lain lebih dulu.")
        )
    for grant in list(user.role_grants):
        if grant.role == role.value:
            user.role_grants.remove(grant)
            db.session.flush()
            return True
    return False


def _another_admin(user: User) -> bool:
    """Whether an active account other than ``user`` holds the admin role. The grant found
    is locked (PostgreSQL) so two admins revoking each other at once cannot both pass."""
    other = (
        select(RoleGrant.id)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.ADMIN.value, RoleGrant.user_id != user.id)
        .where(User.is_active_account.is_(True))
        .limit(1)
        .with_for_update(of=RoleGrant)
    )
    return db.session.scalar(other) is not None


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.flush()


def list_users(query: str = "", limit: int = 50) -> list[User]:
    stmt = select(User).order_by(User.id).limit(limit)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(User.email.ilike(like) | User.name.ilike(like) | User.phone.ilike(like))
    return list(db.session.scalars(stmt))
