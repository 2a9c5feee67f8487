"""Operations: readiness, request ids in headers and JSON logs, Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import re

from marketplace import create_app
from marketplace.observability import configure_logging
from tests import factories
from tests.conftest import app_settings


def test_ready_when_database_and_storage_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_ready_checks_redis_when_configured(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    try:
        assert client.get("/readyz").get_json()["redis"] == "ok"
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = ""
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["redis"].startswith("unavailable")


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
