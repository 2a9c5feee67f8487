"""Who is signed in: what every page reads of them, in one row of plain columns, and their
``User`` record for the services that need it.

The app's user loader (``load_signed_in``) runs on every signed-in request. Loading a
``User`` with its role grants through the ORM cost about 0.2 ms of each page (the ORM's
statement handling and object loading, for a few columns the header, the role checks and
the language read). It reads those columns as rows instead and keeps them on a ``SignedIn``.
"""

from __future__ import annotations

from functools import cache

from flask_login import current_user
from sqlalchemy import bindparam, select

from marketplace.accounts.models import Role, RoleGrant, SecondFactor, User
from marketplace.db import db, read_rows
from marketplace.notify.services import unread_count_of


class SignedIn:
    """The signed-in person as every page reads them: id, name, e-mail, phone, language,
    roles, the header's count of unread messages and whether their second factor is on
    (what every admin page checks first, ``access.role_required``).

    A service that changes the person, relates something to them or reads more of them
    takes their ``User``: ``signed_in_user()`` (read on first use, one statement by
    primary key). Any other attribute asked of a ``SignedIn`` is read from that record
    too; setting one of those is refused. Read as the request begins: a change the request
    makes to the person shows on the next page (every change answers with a redirect).
    """

    __slots__ = (
        "id",
        "name",
        "email",
        "phone",
        "locale",
        "session_token",
        "is_active",
        "roles",
        "unread_count",
        "second_factor_on",
        "_record",
    )

    is_anonymous = False

    def __init__(self, row, roles: frozenset[Role]):
        (
            self.id,
            self.name,
            self.email,
            self.phone,
            self.locale,
            self.session_token,
            self.is_active,
            self.unread_count,
            self.second_factor_on,
        ) = row[:9]
        self.roles = roles
        self._record = None

    @property
    def is_authenticated(self) -> bool:
        # as Flask-Login's ``UserMixin``: a closed account's session signs no one in
        return self.is_active

    def get_id(self) -> str:
        return self.session_token

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def record(self) -> User:
        if self._record is None:
            self._record = db.session.get_one(User, self.id)
        return self._record

    def __getattr__(self, name: str):
        # only attributes not kept above reach here
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.record, name)

    def __repr__(self) -> str:
        return f"<SignedIn {self.id}>"


@cache
def _statement():
    """The person, their unread count, whether their second factor is on, and one role a
    row (a row with no role when they hold none), built once per process (on first use:
    every model is mapped by then)."""
    return (
        select(
            User.id,
            User.name,
            User.email,
            User.phone,
            User.locale,
            User.session_token,
            User.is_active_account,
            unread_count_of(User.id),
            select(SecondFactor.id)
            .where(SecondFactor.user_id == User.id, SecondFactor.confirmed_at.is_not(None))
            .exists(),
            RoleGrant.role,
        )
        .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.session_token == bindparam("token"))
    )


def load_signed_in(session_token: str) -> SignedIn | None:
    """Flask-Login's user loader: who holds this session token, or None."""
    rows = read_rows(_statement(), {"token": session_token}).all()
    if not rows:
        return None
    return SignedIn(rows[0], frozenset(Role(row[-1]) for row in rows if row[-1] is not None))


def signed_in_user() -> User:
    """The signed-in person's ``User`` record: for a service that changes them, relates
    something to them or reads more than ``SignedIn`` keeps. Just signed in, in this very
    request, they already are one."""
    who = current_user._get_current_object()
    return who.record if isinstance(who, SignedIn) else who
