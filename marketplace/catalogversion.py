"""The catalogue version: one number that moves with every change a public page shows.

Cached public pages (``marketplace.pagecache``) are stored under it. It lives in one row
(``CatalogState``), moved in the same transaction as the change: by the ORM for the models
each domain ``watch``es, by ``bump_catalog_version`` after a Core statement. A process
learns it by reading it (``VersionReader``, ``catalog_version``), by having it pushed
(``VersionFeed``: PostgreSQL LISTEN/NOTIFY, within a bound), and keeps the last one read
for a while when the database fails (``KnownVersion``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import BigInteger, Connection, Engine, event, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.breaker import Breaker
from marketplace.db import db

log = logging.getLogger(__name__)

VERSION_SQL = "SELECT version FROM catalog_state WHERE id = 1"
#: where a request keeps the version it read (``request_catalog_version``)
REQUEST_VERSION = "catalogue_version"


class VersionReader:
    """The lane's read of the catalogue version, on a connection of its own per thread.

    Taken from the app's engine once and detached from its pool, in autocommit: a read is
    then one round trip, without the pool's ping before it and rollback after it (three
    on PostgreSQL). A broken connection is dropped on its error, the lane lets the app
    answer that request, and the next read connects again. A process made by ``fork``
    never uses its parent's connection.
    """

    ANSWER_SECONDS = 1.0

    def __init__(self, engine: Engine):
        self._engine = engine
        self._local = threading.local()
        self._inherited: list = []

    def __call__(self) -> int:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            if getattr(local, "pid", None) is not None:
                # The parent's, copied by fork: closing it would end the parent's session
                # too, so it is only kept from the garbage collector.
                self._inherited.append(local.connection)
            local.connection, local.pid = self._connect(), os.getpid()
        connection = local.connection
        try:
            cursor = connection.cursor()
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            local.pid = None
            with suppress(Exception):
                connection.close()
            raise
        return row[0] if row else 0

    def close(self) -> None:
        """Close this thread's connection (an app that is done with, in the tests)."""
        if getattr(self._local, "pid", None) == os.getpid():
            self._local.pid = None
            self._local.connection.close()

    def _connect(self):
        pooled = self._engine.raw_connection()
        pooled.detach()  # ours now: closed, not returned, when we are done with it
        connection = pooled.dbapi_connection
        if hasattr(connection, "autocommit"):  # psycopg: no transaction left open
            connection.autocommit = True
        if getattr(connection, "answer_timeout", None):  # a one-row read: a hung server
            connection.answer_timeout = min(connection.answer_timeout, self.ANSWER_SECONDS)
        return connection


class KnownVersion:
    """The catalogue version last read, served on for a while when the database fails.

    A read that fails (the database away, or frozen past its timeout) opens a breaker:
    for a few seconds no read is tried and the last version read is used, so stored pages
    keep being served, for at most ``PAGE_CACHE_STALE_SECONDS`` after that last good
    read. Without a version read that recently the read is tried and its error raised.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, stale_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.stale_seconds = stale_seconds
        self.breaker = Breaker("catalogue version read", self.RETRY_SECONDS, clock)
        self._clock = clock
        self._last: tuple[int, float] | None = None

    def remember(self, version: int) -> None:
        """A version known good now from elsewhere (the push feed): served on if reads fail."""
        self._last = (version, self._clock())

    def read(self, reader: Callable[[], int]) -> int:
        last = self._last
        fresh = last is not None and self._clock() - last[1] <= self.stale_seconds
        if fresh and not self.breaker.allows():
            return last[0]
        try:
            version = reader()
        except Exception as error:
            self.breaker.failed(error)
            if not fresh:
                raise
            log.warning("page cache: serving catalogue version %s (%r)", last[0], error)
            return last[0]
        self.breaker.succeeded()
        self._last = (version, self._clock())
        return version


class VersionFeed:
    """The catalogue version pushed to this process by PostgreSQL, instead of a read per hit.

    A thread of each process keeps one connection that ``LISTEN``s on ``catalog_version``;
    a trigger (migration a7c3e9d41f20) notifies it at the commit of every change of
    ``catalog_state``, and the thread then reads the version. It also reads it every
    ``bound / 2`` seconds when nothing is heard. The bound: ``current`` answers only with a
    version read from the database at most ``bound`` seconds before (the clock is taken
    before the read), so a page served on it is never older than the catalogue was
    ``bound`` seconds earlier, whatever was lost on the way; a notification usually brings
    a change within milliseconds. Without a recent read (the feed not started yet in this
    process, its connection lost, the database away) ``current`` is None and the caller
    reads the version itself, as before. A process that commits a change itself stops
    trusting the feed (``forget``) until the feed has read again, so its own next page is
    exact. A process made by ``fork`` starts its own thread.
    """

    CHANNEL = "catalog_version"

    def __init__(
        self, conninfo: str, bound: float = 1.0, clock: Callable[[], float] = time.monotonic
    ):
        self.conninfo = conninfo
        self.bound = bound
        self._clock = clock
        self._version: int | None = None
        self._read_at = float("-inf")
        self._generation = 0
        self._pid: int | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: the server process of the listening connection (operators and tests find it)
        self.backend_pid: int | None = None

    def current(self) -> int | None:
        if self._pid != os.getpid():
            self._start()
            return None
        if self._clock() - self._read_at > self.bound:
            return None
        return self._version

    def forget(self) -> None:
        """This process committed a change: read the version until the feed has read again."""
        with self._changed:
            self._generation += 1
            self._read_at = float("-inf")

    def wait_for(self, predicate: Callable[[int | None], bool], timeout: float) -> bool:
        """Wait until ``predicate(current())`` holds (tests, and a process starting)."""
        deadline = self._clock() + timeout
        with self._changed:
            while not predicate(self.current()):
                left = deadline - self._clock()
                if left <= 0:
                    return False
                self._changed.wait(min(left, self.bound / 4))
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=self.bound * 2)

    def _start(self) -> None:
        with self._changed:
            if self._pid == os.getpid():
                return
            self._pid, self._version, self._read_at = os.getpid(), None, float("-inf")
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, name="catalog-version-feed", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        import psycopg

        stop = self._stop
        while not stop.is_set():
            try:
                with psycopg.connect(
                    self.conninfo,
                    autocommit=True,
                    connect_timeout=2,
                    application_name="marketplace-version-feed",
                ) as connection:
                    self.backend_pid = connection.info.backend_pid
                    connection.execute(f"LISTEN {self.CHANNEL}")
                    while not stop.is_set():
                        self._read(connection)
                        for _ in connection.notifies(timeout=self.bound / 2, stop_after=1):
                            pass
            except Exception as error:
                log.warning("page cache: the catalogue version feed stopped (%r); reading", error)
                with self._changed:
                    self._read_at = float("-inf")
                stop.wait(self.bound)

    def _read(self, connection) -> None:
        with self._changed:
            generation = self._generation
        started = self._clock()
        row = connection.execute(VERSION_SQL).fetchone()
        with self._changed:
            if generation == self._generation:
                self._version, self._read_at = (row[0] if row else 0), started
                self._changed.notify_all()


def version_feed(app: Flask) -> VersionFeed | None:
    """The push feed of a PostgreSQL-backed app (``PAGE_CACHE_PUSH``, on by default)."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config.get("SQLALCHEMY_DATABASE_URI") or "sqlite://")
    if url.get_backend_name() != "postgresql" or not app.config.get("PAGE_CACHE_PUSH", True):
        return None
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return VersionFeed(conninfo, float(app.config.get("PAGE_CACHE_PUSH_BOUND_SECONDS", 1.0)))


def known_version(app: Flask) -> KnownVersion:
    known = app.extensions.get("catalog_version")
    if known is None:  # made once: the lane asks on every hit
        stale = float(app.config.get("PAGE_CACHE_STALE_SECONDS", 300))
        known = app.extensions.setdefault("catalog_version", KnownVersion(stale))
    return known


def catalog_version() -> int:
    """The catalogue's version, read from the database (the truth) on every cached hit.

    Inside the request's transaction when it has one (the page then matches what it
    read); otherwise on a pooled connection of its own, through SQLAlchemy, so that a
    database that is away raises the error the app's 503 page answers, unless a version
    was read moments before (``KnownVersion``).
    """
    return known_version(current_app).read(_session_version)


def request_catalog_version() -> int:
    """The version as this request first read it (``catalog_version``), read once: the
    request's stored page, kept values and lists all belong to one version. A commit of this
    request that moves the version forgets it, so what follows in the request reads anew."""
    if not has_request_context():
        return catalog_version()
    found = g.get(REQUEST_VERSION)
    if found is None:
        found = catalog_version()
        setattr(g, REQUEST_VERSION, found)
    return found


def _session_version() -> int:
    session = db.session()
    try:
        if session.in_transaction():
            return session.connection().exec_driver_sql(VERSION_SQL).scalar() or 0
        bind = session.get_bind()
        if isinstance(bind, Connection):  # a session bound to one connection (the tests)
            return bind.exec_driver_sql(VERSION_SQL).scalar() or 0
        return _own_read(bind)
    except Exception:
        with suppress(Exception):  # the request may go on (a stored page, or the 503 page)
            session.rollback()
        raise


def version_reader(app: Flask, engine: Engine) -> VersionReader:
    """The app's ``VersionReader``: the page cache's lane reads through it as well (and
    closes it with itself)."""
    reader = app.extensions.get("version_reader")
    if reader is None:
        reader = app.extensions.setdefault("version_reader", VersionReader(engine))
    return reader


def _own_read(engine: Engine) -> int:
    """The version on the process's own connection per thread (``VersionReader``: one
    round trip, no pool checkout, ping or rollback), its driver's error raised as
    SQLAlchemy's (the app's 503 page answers those)."""
    try:
        return version_reader(current_app, engine)()
    except engine.dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            VERSION_SQL, None, error, engine.dialect.loaded_dbapi.Error
        ) from error


class CatalogState(db.Model):
    """One row whose version moves whenever anything a public page shows changes.

    Cached pages are keyed by it, so a change of listing, price or stock in any
    process makes every process render afresh.
    """

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)


#: The models whose rows public pages show; each domain names its own (``watch``).
WATCHED: set[type] = set()


def watch(*models: type) -> None:
    """Move the catalogue version whenever a row of these models is added, changed or deleted.

    Writes that bypass the ORM (Core UPDATEs) bypass this too: the one module that makes
    them calls ``bump_catalog_version`` itself.
    """
    WATCHED.update(models)


def bump_catalog_version(session: Session | None = None) -> None:
    """Move the version; call after changing catalogue rows with Core statements."""
    state = CatalogState.__table__
    session = session or db.session()
    # On the connection, not the session: this runs inside flushes, where a session
    # statement would try to flush again.
    session.connection().execute(
        update(state).where(state.c.id == 1).values(version=state.c.version + 1)
    )
    session.info["catalogue_changed"] = True


@event.listens_for(Session, "after_commit")
def _trust_the_feed_after_reading(session):
    # This process's own next page must show its change: read until the feed has read.
    changed = session.info.pop("catalogue_changed", False)
    if changed and has_app_context():
        g.pop(REQUEST_VERSION, None)
    feed = current_app.extensions.get("version_feed") if has_app_context() else None
    if changed and feed is not None:
        feed.forget()


@event.listens_for(Session, "after_rollback")
def _nothing_changed(session):
    session.info.pop("catalogue_changed", None)


def _touches_catalogue(session: Session) -> bool:
    watched = tuple(WATCHED)
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, watched):
            return True
    return any(isinstance(obj, watched) and session.is_modified(obj) for obj in session.dirty)


@event.listens_for(Session, "before_flush")
def _bump_on_catalogue_change(session, flush_context, instances):
    # In the flush's own transaction: the new version commits with the change, or neither.
    if _touches_catalogue(session):
        bump_catalog_version(session)
