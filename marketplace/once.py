"""A form that creates a record does its work once, however often it is sent.

A household on 3G presses "Simpan" twice, a reviewer's page is sent again after the
connection dropped, two requests with the same form arrive at the same moment. The page
hands out a token with the form (``forms.SentOnce``); the record keeps it in a unique
``idempotency_token`` column, and :func:`create_once` finds the first record instead of
making a second. Where the record itself is unique (a product in a collection, a voucher
code, an SP2D number), :func:`added_once` lets the database's constraint say so, and
:func:`written_once` where the row is made deep inside a service (a document's correction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.db import db, unique_violation
from marketplace.errors import MarketplaceError

Row = TypeVar("Row")

#: as long as the column (``secrets.token_urlsafe(24)`` is 32 characters)
TOKEN_LENGTH = 64


class IncompleteForm(MarketplaceError):
    """The form came without its token: a page from before the token, or not our page."""


def check_token(token: str | None) -> str:
    """The form's token, or a refusal that asks for the page again."""
    if not token or len(token) > TOKEN_LENGTH:
        raise IncompleteForm(_l("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
    return token


def added_once(row: object) -> bool:
    """Add ``row`` and write it in a savepoint: False, with nothing of it kept, when a unique
    constraint finds it already there (a twin request wrote it first; on PostgreSQL the
    second insert waits for the first's commit and then meets its row)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as error:
        if not unique_violation(error):  # refused for another reason: not ours to hide
            raise
        return False
    return True


@contextmanager
def written_once(refusal: MarketplaceError) -> Iterator[None]:
    """The block's writes in a savepoint, flushed at its end: when a unique constraint finds
    them already there (a twin request wrote them first), nothing of them is kept and
    ``refusal`` is raised; any other refusal is raised as it is. For a row made deep inside
    a service (a document with its number and PDF), which ``added_once`` is not handed."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as error:
        if not unique_violation(error):  # refused for another reason: not ours to hide
            raise
        raise refusal from None


def made_before(model: type[Row], token: str | None) -> Row | None:
    """The ``model`` row the form sent with ``token`` made before, if any: for a service
    that holds its owner's row first (``db.lock_row``), so that a twin waits and then finds
    it, and for a rule that counts before it adds (a cap) to let the twin of the row that
    filled it through."""
    if not token:
        return None
    found = select(model).where(model.idempotency_token == token)  # type: ignore[attr-defined]
    return db.session.scalar(found)


def create_once(row: Row, token: str | None) -> tuple[Row, bool]:
    """Add ``row`` under the form's ``token``, or find the row the same form made before
    (sent twice, or twice at the same moment): ``(row, created)``."""
    model = type(row)
    token = check_token(token)
    existing = made_before(model, token)
    if existing is not None:
        return existing, False
    row.idempotency_token = token  # type: ignore[attr-defined]
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as error:
        existing = made_before(model, token) if unique_violation(error) else None
        if existing is None:  # refused for another reason than the token: not ours to hide
            raise
        return existing, False
    return row, True
