"""Fixtures: one database migrated once per run, each test in a rolled-back transaction.

The suite runs on SQLite by default; ``TEST_DATABASE_URL`` switches it to
PostgreSQL (a database of its own: the schema is dropped and rebuilt).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import email
import importlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="marketplace-tests-"))
os.environ["INSTANCE_PATH"] = str(_TMP / "instance")
os.environ.setdefault("SECRET_KEY", "tests-only-secret")

import flask_migrate  # noqa: E402
import jinja2  # noqa: E402
import pytest  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_sqlalchemy.session import Session as FlaskSession  # noqa: E402
from jinja2.utils import missing  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.accounts.models import Role  # noqa: E402
from marketplace.config import normalise_database_url  # noqa: E402
from marketplace.db import db  # noqa: E402
from marketplace.extensions import limiter  # noqa: E402
from marketplace.pagecache import VERSION_SQL  # noqa: E402
from tests import factories  # noqa: E402
from tests.racing import real_commits  # noqa: E402, F401 - a fixture for any test module

#: Cheap argon2 for speed; the production parameters are checked in test_passwords.
FAST_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{_TMP / 'test.db'}"


def served_env(app, instance: Path | str, **settings: str) -> dict[str, str]:
    """The environment of the app served by gunicorn beside the suite: the test database
    and media, an instance folder of its own and the suite's cheap argon2 (for the accounts
    a journey makes itself), plus ``settings``."""
    import json

    return {
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
        "INSTANCE_PATH": str(instance),
        "MARKETPLACE_PASSWORD_HASH_PARAMS": json.dumps(FAST_HASH),
        **settings,
    }


def app_settings(**overrides) -> dict:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "MEDIA_ROOT": str(_TMP / "media"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PARAMS": FAST_HASH,
        "DEMO_PHOTO_SIZE": 400,
        "SERVER_NAME": None,
        # In-process apps read the catalogue version (the suite's `app` on the test's own
        # connection); a push feed's thread would outlive the test and its database proxy.
        # The feed is tested on its own (test_version_feed) and under gunicorn
        # (test_multiprocess), where it is on.
        "PAGE_CACHE_PUSH": False,
    }
    settings.update(overrides)
    return settings


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as under a real server.

    Tests hold an app context open; Flask would reuse it for the client's requests,
    sharing ``g`` (the signed-in user, the locale) between requests. Running each
    request in an empty context makes it push a fresh one.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _reset_schema() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.engine.dispose()
        Path(db.engine.url.database).unlink(missing_ok=True)


class MissingAttributeFails(jinja2.Undefined):
    """The suite's Undefined: a name a view did not pass, or a key a dict lacks, is empty as
    in production (``{% if typed.reason %}``); an attribute an object lacks is a mistake that
    production would print as nothing (a renamed field left a Surat Pesanan's "Barang"
    column empty), so it fails the test. ``csrf_token``: off in tests, so forms lack it."""

    __slots__ = ()

    def __init__(self, hint=None, obj=missing, name=None, exc=jinja2.UndefinedError):
        super().__init__(hint, obj, name, exc)
        lenient = obj is missing or isinstance(obj, Mapping | jinja2.Undefined)
        if not lenient and name != "csrf_token":
            raise exc(f"{type(obj).__name__} has no attribute {name!r}")


@pytest.fixture(scope="session")
def app():
    app = create_app(app_settings())
    app.jinja_env.undefined = MissingAttributeFails
    app.test_client_class = IsolatedClient
    # Rate limits are off except in the tests about them (fixture ``rate_limits``).
    limiter.enabled = False
    with app.app_context():
        _reset_schema()
        flask_migrate.upgrade()
        # The demo catalogue is the base every test starts from; tests add to it
        # inside their own transaction, which is rolled back.
        from marketplace.demo import load_demo

        load_demo(photo_size=app.config["DEMO_PHOTO_SIZE"])
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the app's engine itself; here it must use the test's
    connection, so that everything a test and its requests write is rolled back."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def db_session(app):
    """Every test runs in one outer transaction; commits inside it become savepoints."""
    # Pages cached by another test may show rows that test rolled back.
    app.extensions["page_cache"].clear()
    # So may the search vocabulary and synonyms kept for a catalogue version.
    app.extensions.pop("search_lexicon", None)
    # And what is kept per catalogue version (marketplace.catalogmemo): the storefront's
    # lists, pages of results and product pages, the gift-box builder's choices.
    app.extensions.pop("catalogue_memo", None)
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": ConnectionBoundSession,
            }
        )
        # The page cache's lane reads the catalogue version before any request begins;
        # here it must read it where the test's writes are, as the requests' sessions do.
        lane = app.extensions["cached_pages_lane"]
        lane.read_version = lambda: connection.exec_driver_sql(VERSION_SQL).scalar() or 0
        try:
            yield db.session
        finally:
            del lane.read_version
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture(scope="session")
def own_redis():
    """The URL of a Redis server of this test run's own (not the machine's shared one),
    started on first use; tests using it may empty it."""
    from tests.servers import redis_server

    with redis_server() as url:
        yield url


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf(app):
    """Turn CSRF protection on for one test (it is off by default to keep tests short)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def rate_limits(app):
    limiter.enabled = True
    limiter.reset()
    yield limiter
    limiter.reset()
    limiter.enabled = False


class Clock:
    """The time every ``now_utc`` (and so ``today_local``) reads in a test: still until moved."""

    def __init__(self, moment: dt.datetime):
        self.now = moment

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        assert moment.tzinfo is not None, "an aware moment"
        self.now = moment.astimezone(dt.UTC)

    def move(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Stop the one clock for this test, to move it: ``clock.set(moment)``, ``clock.move(days=1)``.

    ``marketplace.db.now_utc`` reads it, and through it ``today_local`` and every model default.
    """
    # The module, not the ``db`` object the package exports under the same name.
    database = importlib.import_module("marketplace.db")
    stopped = Clock(database.system_clock())
    monkeypatch.setattr(database, "clock", stopped)
    return stopped


@pytest.fixture
def login_as(client):
    """``login_as("seller")`` signs the test client in as a new user with that role."""

    def sign_in(role: str | Role = Role.BUYER, user=None):
        if user is None:
            user = factories.make_user(roles=[Role(role)])
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.session_token
            session["_fresh"] = True
        return user

    return sign_in


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a ``with count_queries() as counted:`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


def _free_port() -> int:
    from tests.servers import free_port

    return free_port()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Inbox:
    """A real SMTP server's handler that keeps what it receives."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
    yield handler
    app.config["SMTP_URL"] = ""
    controller.stop()


@pytest.fixture(autouse=True)
def payment_gateway(app):
    """A fresh local test gateway per test: its intents are kept in memory."""
    from marketplace.payments.gateway import TestGateway

    previous = app.extensions["payment_gateway"]
    app.extensions["payment_gateway"] = gateway = TestGateway(webhook_secret="whsec_tests")
    yield gateway
    app.extensions["payment_gateway"] = previous


@pytest.fixture(scope="session")
def stripe_server_session():
    """The Stripe-compatible test server (tests/stripe_server), one for the whole run."""
    from tests.stripe_server import running_stripe_server

    with running_stripe_server() as server:
        yield server


@pytest.fixture
def stripe_server(stripe_server_session):
    """The Stripe test server, emptied (objects, keys, webhook endpoints) for this test."""
    stripe_server_session.reset()
    return stripe_server_session


@pytest.fixture(scope="session")
def biteship_server_session():
    """The Biteship test server (tests/biteship_server), one for the whole run."""
    from tests.biteship_server import running_biteship_server

    with running_biteship_server() as server:
        yield server


@pytest.fixture
def biteship_server(biteship_server_session):
    """The Biteship test server, emptied for this test; webhooks wait in ``pending``."""
    biteship_server_session.reset()
    biteship_server_session.webhook_url = ""
    return biteship_server_session


@pytest.fixture
def biteship(app, biteship_server):
    """The app with Biteship configured (the test server), as with BITESHIP_API_KEY,
    BITESHIP_API_BASE and BITESHIP_WEBHOOK_SECRET; the rate cache starts empty."""
    from marketplace.orders import shipping

    settings = ("BITESHIP_API_KEY", "BITESHIP_API_BASE", "BITESHIP_WEBHOOK_SECRET")
    previous = {name: app.config.get(name, "") for name in settings}
    app.config.update(
        BITESHIP_API_KEY=biteship_server.api_key,
        BITESHIP_API_BASE=biteship_server.url,
        BITESHIP_WEBHOOK_HEADER=biteship_server.webhook_header,
        BITESHIP_WEBHOOK_SECRET=biteship_server.webhook_secret,
    )
    shipping.clear_cache()
    yield biteship_server
    app.config.update(previous)
    shipping.clear_cache()


@pytest.fixture(scope="session")
def midtrans_server_session():
    """The Midtrans Core API test server (tests/midtrans_server), one for the whole run."""
    from tests.midtrans_server import running_midtrans_server

    with running_midtrans_server() as server:
        yield server


@pytest.fixture
def midtrans_server(midtrans_server_session):
    """The Midtrans test server, emptied for this test; notifications wait in ``pending``."""
    midtrans_server_session.reset()
    midtrans_server_session.notification_url = ""
    return midtrans_server_session


@pytest.fixture
def midtrans(app, midtrans_server):
    """The app with Midtrans configured (the test server), as with MIDTRANS_SERVER_KEY and
    MIDTRANS_API_BASE; cards stay on the test gateway."""
    from marketplace.payments.midtrans_gateway import MidtransGateway

    previous = app.extensions.get("payment_gateways", {})
    gateway = MidtransGateway(server_key=midtrans_server.server_key, api_base=midtrans_server.url)
    app.extensions["payment_gateways"] = {"midtrans": gateway}
    yield gateway
    app.extensions["payment_gateways"] = previous
