"""The database: one declarative base, a constraint naming convention, one clock."""

from __future__ import annotations

import contextvars
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, event, update
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: What ``now_utc`` reads. Only the tests replace it (fixture ``clock``), to move time.
clock: Callable[[], dt.datetime] = system_clock

#: Kalimantan Utara keeps WITA (Asia/Makassar, UTC+8) all year, with no summer time.
WITA = dt.timezone(dt.timedelta(hours=8))


def now_utc() -> dt.datetime:
    """The one clock: an aware datetime in UTC."""
    return clock()


def today_local() -> dt.date:
    """Today in Kalimantan Utara (WITA): the day licences end on, and cached pages are kept for."""
    return now_utc().astimezone(WITA).date()


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL does; both come back as aware UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Foreign keys on, WAL, a busy timeout, and transactions SQLAlchemy controls.

    pysqlite's own transaction handling breaks SAVEPOINT (which the tests and
    nested units of work use), so it is switched off and BEGIN is emitted below.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


_write_first: contextvars.ContextVar[bool] = contextvars.ContextVar("write_first", default=False)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``).

    A deferred SQLite transaction that read first cannot write once another writer
    has committed ("database is locked" at once, no busy wait); every unit of work
    (``unit_of_work``: each view's ``web.attempt``, payments, expiry) begins here, so
    writers wait their turn (``busy_timeout``). PostgreSQL: no-op.
    """
    token = _write_first.set(True)
    try:
        yield
    finally:
        _write_first.reset(token)


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_first.get() else "BEGIN")


#: Tables, columns and indexes the migrations own that no model describes: the SQLite
#: full-text table with its shadow tables, PostgreSQL's stored search vector and its index.
UNMODELLED_PREFIXES = ("product_search", "ix_products_search", "search_vector")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic's autogenerate which database objects are the models' business."""
    return not (name or "").startswith(UNMODELLED_PREFIXES)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """End the request's read transaction, so the next one begins as a writer (SQLite)."""
    db.session.rollback()
    with write_transaction():
        yield


def update_if(model: type, row_id: int, *conditions: Any, **values: Any) -> bool:
    """``UPDATE model SET values WHERE id = row_id AND conditions``: True if the row changed.

    The guard of every state move: of two writers that read the same state, only the
    first matches the row; the other changes nothing and learns it from the False.
    """
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
