"""When the database goes away: 503 with a message, then recovery without a restart."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.db import db
from tests.conftest import app_settings, database_url
from tests.servers import gunicorn


def test_pages_answer_503_when_the_database_is_down(monkeypatch):
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    app = create_app(
        app_settings(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    for path in ("/", "/produk", "/produk/amplang-ikan-tenggiri", "/search?q=madu"):
        response = app.test_client().get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "Layanan sedang tidak tersedia" in response.get_data(as_text=True)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.skipif(
    not database_url().startswith("postgresql"),
    reason="needs PostgreSQL: server-side connection kills do not exist for SQLite",
)
def test_recovers_by_itself_after_its_connections_are_killed(app, tmp_path):
    env = {
        "DATABASE_URL": database_url() + "?application_name=served-under-test",
        "INSTANCE_PATH": str(tmp_path),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
    }
    admin = create_engine(database_url(), isolation_level="AUTOCOMMIT")
    with gunicorn(env, workers=1) as base:
        # Warm the worker's pool, then kill the server's connections under its feet.
        assert get(f"{base}/healthz") == 200
        with admin.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'served-under-test'"
                )
            ).scalar()
        assert killed >= 1
        # pool_pre_ping notices the dead connection and opens a new one: no error at all.
        assert [get(f"{base}/produk") for _ in range(3)] == [200, 200, 200]
    admin.dispose()
