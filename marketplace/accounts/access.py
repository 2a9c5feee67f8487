"""Who may do what: role decorators, kept in one place."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts import twofactor
from marketplace.accounts.identity import SignedIn
from marketplace.accounts.models import Role


def role_required(*roles: Role):
    """Signed in and holding one of ``roles`` (admins pass everywhere).

    Where the user passes as an admin, an admin without a second factor is sent to set it
    up first: every admin page waits for it.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles, Role.ADMIN):
                abort(403)
            as_admin = Role.ADMIN in roles or not current_user.has_role(*roles)
            if as_admin and not _second_factor_on():
                flash(_("Admin wajib memakai verifikasi dua langkah. Aktifkan dulu."), "error")
                return redirect(url_for("accounts.security"), 303)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _second_factor_on() -> bool:
    """Read with the person by the user loader (``SignedIn``); asked of the database for
    someone who signed in during this very request."""
    if isinstance(who := current_user._get_current_object(), SignedIn):
        return who.second_factor_on
    return twofactor.is_on(who.id)
