"""Operations: request ids, JSON logs, readiness, Prometheus metrics.

Every log line is one JSON object carrying the request id (taken from a
trusted ``X-Request-ID`` of the load balancer, or made here, and sent back in
the response), so one request can be followed across web and worker logs.
Metrics come from prometheus-flask-exporter (requests and latency by
endpoint) plus counters for jobs and order moves, at ``/metrics``.
"""

from __future__ import annotations

import logging
import re
import uuid
from types import SimpleNamespace

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from prometheus_client import CollectorRegistry, Counter
from prometheus_flask_exporter import PrometheusMetrics
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    if app.config.get("LOG_FORMAT", "json") != "json" or app.testing:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def register_request_ids(app: Flask) -> None:
    @app.before_request
    def take_request_id() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def give_request_id(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        return response


def init_metrics(app: Flask) -> None:
    """One registry per app, so that tests may build many apps in one process."""
    registry = CollectorRegistry()
    PrometheusMetrics(
        app,
        registry=registry,
        group_by="endpoint",
        excluded_paths=["/metrics", "/healthz", "/readyz", "/static/", "/media/"],
    )
    app.extensions["metrics"] = SimpleNamespace(
        jobs=Counter(
            "marketplace_jobs_total", "Background jobs run", ["job", "outcome"], registry=registry
        ),
        order_moves=Counter(
            "marketplace_order_moves_total",
            "Recorded moves of orders and their parts",
            ["kind", "to_status"],
            registry=registry,
        ),
    )


def count(metric: str, **labels: str) -> None:
    """Add one to a marketplace counter, when an app with metrics is at hand."""
    if has_app_context() and (metrics := current_app.extensions.get("metrics")):
        getattr(metrics, metric).labels(**labels).inc()
