"""Operations: readiness, request ids in headers and JSON logs, Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.observability import configure_logging
from marketplace.storage import LocalStorage, init_storage
from tests import factories
from tests.conftest import app_settings, database_url
from tests.servers import ROOT, HttpVisitor, free_port, gunicorn


def test_ready_when_database_and_storage_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_redis_away_is_degraded_not_unready(app, client, own_redis):
    """Without Redis the process still serves (pages rendered, limits in memory, jobs run
    here): a balancer that drained it, and every other web process with it, would help no one."""
    app.config["REDIS_URL"] = own_redis
    try:
        assert client.get("/readyz").get_json()["redis"] == "ok"
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = ""
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded" and body["redis"].startswith("unavailable")
    assert body["database"] == "ok"


def test_ready_reads_a_photo_so_a_restore_without_photos_is_caught(app, client, tmp_path):
    """The storage check reads back a photo the database names, not only the folder."""
    app.extensions["storage"] = LocalStorage(str(tmp_path / "restored-without-photos"))
    try:
        response = client.get("/readyz")
    finally:
        init_storage(app)
    body = response.get_json()
    assert response.status_code == 200  # pages still answer, without their photos
    assert body["status"] == "degraded" and body["storage"].startswith("missing: photos/")
    assert client.get("/readyz").get_json()["storage"] == "ok"


def test_each_response_carries_a_request_id(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "lb-2026-abcdef"})
    assert given.headers["X-Request-ID"] == "lb-2026-abcdef"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>"


def test_log_lines_are_json_with_the_request_id():
    app = create_app(app_settings(TESTING=False))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(app)
        stream = io.StringIO()
        root.handlers[0].setStream(stream)

        @app.get("/catat")
        def note():
            app.logger.info("pesanan diterima")
            return "ok"

        app.test_client().get("/catat", headers={"X-Request-ID": "permintaan-123"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["message"] == "pesanan diterima"
    assert line["request_id"] == "permintaan-123" and line["level"] == "INFO"


PLACED = 'marketplace_order_moves_total{kind="order",to_status="awaiting_payment"}'


def placed_count(client) -> float:
    """The counter's value (the app, and so its counters, live for the whole run)."""
    text = client.get("/metrics").get_data(as_text=True)
    match = re.search(re.escape(PLACED) + r" ([0-9.e+]+)", text)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_and_order_moves(client):
    before = placed_count(client)
    client.get("/produk")
    factories.make_order((factories.make_product(stock=3), 1))
    text = client.get("/metrics").get_data(as_text=True)
    assert 'flask_http_request_total{method="GET",status="200"}' in text
    assert 'endpoint="catalog.product_list"' in text
    assert placed_count(client) == before + 1


REQUESTS = 40


def test_metrics_under_gunicorn_add_up_every_worker(app, tmp_path):
    """Two workers answer a page; /metrics, whichever worker answers it, counts both."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {
        "DATABASE_URL": database_url(),
        "INSTANCE_PATH": str(tmp_path),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    with gunicorn(env, workers=2) as base:
        # Eight at a time: while one worker is busy the other takes the next connection.
        # A fast page may be answered by one worker alone for a while, so rounds go on
        # until both have answered (each writes files named after its process id).
        sent, statuses, workers = 0, [], set()
        with ThreadPoolExecutor(8) as pool:
            while len(workers) < 2 and sent < REQUESTS * 25:
                statuses += pool.map(lambda _: fetch(f"{base}/produk")[0], range(REQUESTS))
                sent += REQUESTS
                workers = {
                    re.search(r"_(\d+)\.db$", path.name).group(1) for path in folder.glob("*.db")
                }
        assert statuses == [200] * sent
        assert len(workers) == 2
        for _ in range(4):  # answered by either worker, the sum is the same
            _status, text = fetch(f"{base}/metrics")
            counted = re.search(
                r'flask_http_request_duration_seconds_count\{[^}]*endpoint="catalog.product_list"'
                r'[^}]*status="200"[^}]*\} ([0-9.]+)',
                text,
            )
            assert counted and float(counted.group(1)) == sent


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return response.status, response.read().decode()


def test_every_line_gunicorn_and_the_app_write_is_json_with_a_request_id(app, tmp_path):
    """gunicorn's own messages, its access log and the app's log: one JSON object a line."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "INSTANCE_PATH": str(tmp_path),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--preload"]
    command += ["--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        errors = []
        for line in server.stderr:
            errors.append(line)
            if "Listening at" in line:
                break
        base = f"http://127.0.0.1:{port}"
        fetch(f"{base}/produk", {"X-Request-ID": "akses-12345678"})
        # Signing up mails a welcome: without SMTP_URL the mail job writes it to the log.
        status, _html, headers = HttpVisitor().submit(
            f"{base}/akun/daftar",
            {"name": "Ibu Log", "email": EMAIL, "phone": "", "password": "baris demi baris"},
        )
        assert status == 302
    finally:
        purge_user(EMAIL)
        server.terminate()
        output, rest = server.communicate(timeout=30)
    lines = [json.loads(line) for line in (*errors, *rest.splitlines(), *output.splitlines())]
    assert all("request_id" in line and "time" in line for line in lines)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"request_id": "akses-12345678", "path": "/produk", "status": 200}.items() <= (
        access[0].items()
    )
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    [mail] = [line for line in lines if line["logger"] == "marketplace.mail"]
    assert mail["request_id"] == headers["X-Request-ID"] and EMAIL in mail["message"]


EMAIL = "ibu@log.contoh.id"


def purge_user(email: str) -> None:
    engine = create_engine(database_url())
    with engine.begin() as connection:
        connection.execute(
            text(
                "DELETE FROM role_grants WHERE user_id IN "
                "(SELECT id FROM users WHERE email = :email)"
            ),
            {"email": email},
        )
        connection.execute(text("DELETE FROM users WHERE email = :email"), {"email": email})
    engine.dispose()
