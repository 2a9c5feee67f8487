"""A form that creates a record does its work once, however often it is sent.

A household on 3G presses "Simpan" twice, a reviewer's page is sent again after the
connection dropped, two requests with the same form arrive at the same moment. Where the
record itself is unique (a product in a collection, a voucher code, an SP2D number),
:func:`added_once` lets the database's constraint say so.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from marketplace.db import db


def added_once(row: object) -> bool:
    """Add ``row`` and write it in a savepoint: False, with nothing of it kept, when a unique
    constraint finds it already there (a twin request wrote it first; on PostgreSQL the
    second insert waits for the first's commit and then meets its row)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return False
    return True
