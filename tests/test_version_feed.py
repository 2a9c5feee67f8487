"""The catalogue version pushed to each process (PostgreSQL LISTEN/NOTIFY), within its bound.

Each test's other process is real: a Python subprocess commits the change, as another web
worker or a household's edit would.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace.pagecache import CachedPagesLane, VersionFeed, known_version
from tests.conftest import database_url

pytestmark = pytest.mark.skipif(
    not database_url().startswith("postgresql"),
    reason="LISTEN/NOTIFY is PostgreSQL's; on SQLite the lane reads the version from its "
    "local file on each hit",
)

#: what another process commits: a change of the catalogue, by a plain UPDATE
BUMP = (
    "import sys, psycopg\n"
    "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
    "    print(c.execute('UPDATE catalog_state SET version = version + 1 RETURNING version')"
    ".fetchone()[0])\n"
)


def conninfo() -> str:
    return make_url(database_url()).set(drivername="postgresql").render_as_string(False)


def bump_in_another_process() -> int:
    done = subprocess.run(
        [sys.executable, "-c", BUMP, conninfo()],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=os.environ,
    )
    return int(done.stdout)


def database_version() -> int:
    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version FROM catalog_state")).scalar()
    finally:
        engine.dispose()


def drop_connection(feed: VersionFeed) -> bool:
    """What a failover, a restart or a network cut does to the feed's connection."""
    engine = create_engine(database_url())
    try:
        with engine.begin() as connection:
            return connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": feed.backend_pid}
            ).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def feed(app):  # the app: the suite's database is migrated (the trigger)
    feed = VersionFeed(conninfo(), bound=1.0)
    yield feed
    feed.stop()


def live(version):
    return version is not None


def test_a_change_committed_in_another_process_is_seen_within_the_bound(feed):
    assert feed.current() is None  # not started in this process yet: the caller reads
    assert feed.wait_for(live, timeout=10)
    assert feed.current() == database_version()

    for _ in range(3):
        changed = bump_in_another_process()
        assert feed.wait_for(lambda version, v=changed: version == v, timeout=feed.bound)


def test_a_lost_channel_falls_back_to_reading_then_listens_again(feed):
    assert feed.wait_for(live, timeout=10)
    assert drop_connection(feed)

    # Within the bound the feed stops answering: the lane reads the version itself.
    assert feed.wait_for(lambda version: version is None, timeout=feed.bound * 2)
    changed = bump_in_another_process()  # while nobody listens
    assert feed.wait_for(lambda version: version == changed, timeout=10)


def test_the_lane_serves_the_pushed_version_and_keeps_it_while_the_database_is_away(app, feed):
    lane = app.extensions["cached_pages_lane"]
    app.extensions["version_feed"] = feed
    try:
        assert feed.wait_for(live, timeout=10)

        def database_away():
            raise ConnectionError("the database is away")

        lane._read_version = database_away
        # The class's read: the suite's fixture reads on the test's own connection instead.
        assert CachedPagesLane.read_version(lane) == feed.current()
        served = feed.current()
        assert drop_connection(feed)
        assert feed.wait_for(lambda version: version is None, timeout=feed.bound * 2)
        # No push, no read: the version last known is served on (PAGE_CACHE_STALE_SECONDS).
        assert CachedPagesLane.read_version(lane) == served
    finally:
        del app.extensions["version_feed"]
        lane._read_version = None
        known_version(app)._last = None


def test_a_process_that_commits_a_change_reads_until_the_feed_has_read_it(app, feed):
    from marketplace.db import db
    from marketplace.pagecache import bump_catalog_version
    from tests.cleanup import committing_session

    app.extensions["version_feed"] = feed
    try:
        assert feed.wait_for(live, timeout=10)
        with committing_session():
            bump_catalog_version()
            db.session.commit()
            # Its own next page must show the change: until the feed has read, it reads.
            mine = database_version()
            assert feed.current() in (None, mine)
            assert feed.wait_for(lambda version: version == mine, timeout=feed.bound)
    finally:
        del app.extensions["version_feed"]
