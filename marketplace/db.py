"""The database: one declarative base, a constraint naming convention, one clock."""

from __future__ import annotations

import contextvars
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, DateTime, Engine, MetaData, event, text, update
from sqlalchemy.exc import IntegrityError
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

#: The years a day from outside (typed in a form, named in an address) may be in: any
#: other is a typing mistake, and a day at the very ends of Python's calendar (years 1 and
#: 9999) cannot even be turned into a time in UTC, nor have a next month.
DATE_YEARS = range(2000, 2100)


def now_utc() -> dt.datetime:
    """The one clock: an aware datetime in UTC."""
    return clock()


def today_local() -> dt.date:
    """Today in Kalimantan Utara (WITA): the day licences end on, and cached pages are kept for."""
    return local_date(now_utc())


def local_date(moment: dt.datetime) -> dt.date:
    """The day ``moment`` falls on in Kalimantan Utara (WITA): 23:30 UTC is already tomorrow."""
    return moment.astimezone(WITA).date()


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
#: full-text table with its shadow tables and vocabulary, PostgreSQL's stored search vector,
#: its index and the table of its words.
UNMODELLED_PREFIXES = ("product_search", "ix_products_search", "search_vector", "search_words")


def read_rows(statement: Any, params: dict | None = None) -> CursorResult:
    """Run ``statement``, a select of plain columns (rows, never mapped objects), on the
    session's connection, past the ORM's own execution (its compile state and loading:
    about 0.08 ms a statement, several a page). Changes waiting in the session are
    flushed first, as the session's own ``execute`` would (autoflush), so a read after a
    write in one unit of work still sees it."""
    session = db.session()  # the request's session itself, not its scoped proxy, once
    if session.autoflush:
        session.flush()  # returns at once when nothing waits
    return session.connection().execute(statement, params)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic's autogenerate which database objects are the models' business."""
    return not (name or "").startswith(UNMODELLED_PREFIXES)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """End the request's read transaction, so the next one begins as a writer (SQLite)."""
    db.session.rollback()
    with write_transaction():
        yield


def unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a write because another row holds the same unique key
    (PostgreSQL's SQLSTATE 23505, SQLite's ``SQLITE_CONSTRAINT_UNIQUE`` or primary key), and
    not for anything else: a NOT NULL, a foreign key, a check."""
    cause = error.orig
    return getattr(cause, "sqlstate", None) == "23505" or getattr(
        cause, "sqlite_errorname", None
    ) in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


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


def lock_row(model: type, row_id: int) -> None:
    """Hold ``model``'s row ``row_id`` until the commit: the next writer to take it waits.

    A rule that counts before it adds (at most so many of a thing per owner) holds under
    concurrency when every writer first takes the row of what it counts for, its owner. A
    no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, where
    ``SELECT ... FOR UPDATE`` locks nothing (``inventory.stock.lock_product`` does the same
    for a product); plain SQL, so that it moves no ``updated_at``.
    """
    table = model.__table__.name  # type: ignore[attr-defined]
    no_op = text(f"UPDATE {table} SET id = id WHERE id = :id")  # noqa: S608 - a model's table
    db.session.execute(no_op, {"id": row_id})


# --- timeouts: a database that hangs gets the 503 page within seconds, never holds a request


#: The key, in ``connect_args``, of how long a psycopg connection waits for any answer.
ANSWER_TIMEOUT = "marketplace_answer_timeout"
#: How much longer than the statement timeout the client waits before giving the server up.
ANSWER_MARGIN_SECONDS = 1.0


def postgresql_timeouts(config, cli: bool) -> dict:
    """``connect_args`` for PostgreSQL: connect, statement and lock timeouts from the settings.

    The server ends a statement after ``DATABASE_STATEMENT_TIMEOUT`` seconds (a command
    run with ``flask``: ``DATABASE_CLI_STATEMENT_TIMEOUT``, 0 for none) and a wait for a
    lock after ``DATABASE_LOCK_TIMEOUT``; each is the app's 503 page. A server that is
    frozen cannot end anything: the client then gives it up a second after the statement
    timeout, closing the connection (``BoundedConnection``).
    """
    statement = float(
        config["DATABASE_CLI_STATEMENT_TIMEOUT" if cli else "DATABASE_STATEMENT_TIMEOUT"]
    )
    lock = float(config["DATABASE_LOCK_TIMEOUT"])
    return {
        "connect_timeout": max(2, round(float(config["DATABASE_CONNECT_TIMEOUT"]))),
        "options": f"-c statement_timeout={round(statement * 1000)} "
        f"-c lock_timeout={round(lock * 1000)}",
        ANSWER_TIMEOUT: statement + ANSWER_MARGIN_SECONDS if statement > 0 else None,
    }


_WAIT_TIMEOUT = getattr(psycopg.errors, "_WaitTimeout", psycopg.errors.OperationalError)


class BoundedConnection(psycopg.Connection):
    """A psycopg connection that waits at most ``answer_timeout`` seconds for the server.

    A server that does not answer by then is taken as hung: the connection is closed
    (SQLAlchemy sees a disconnect and drops it from the pool) and the error raised is the
    one the app's 503 page answers.
    """

    answer_timeout: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        if timeout is not None or not self.answer_timeout:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.answer_timeout)
        except _WAIT_TIMEOUT:
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {self.answer_timeout:g} s"
            ) from None


@event.listens_for(Engine, "do_connect")
def _connect_bounded(dialect, connection_record, cargs, cparams):
    answer_timeout = cparams.pop(ANSWER_TIMEOUT, None)
    if dialect.driver != "psycopg" or answer_timeout is None:
        return None
    connection = BoundedConnection.connect(*cargs, **cparams)
    connection.answer_timeout = answer_timeout
    return connection
