"""Operations: request ids, JSON logs, readiness, Prometheus metrics.

Every log line is one JSON object carrying the request id (taken from a
trusted ``X-Request-ID`` of the load balancer, or made here, and sent back in
the response), so one request can be followed across web and worker logs.
Metrics come from prometheus-flask-exporter (requests and latency by
endpoint) plus counters for jobs and order moves, at ``/metrics``. Under
gunicorn (``PROMETHEUS_MULTIPROC_DIR``, set by gunicorn.conf.py) every worker
writes its values to files there and ``/metrics`` sums all workers, whichever
worker answers the scrape.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from contextvars import ContextVar
from types import SimpleNamespace

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from prometheus_client import CollectorRegistry, Counter
from prometheus_flask_exporter import PrometheusMetrics
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


#: The id of the request that queued the job being run (jobs run after their request).
job_request_id: ContextVar[str] = ContextVar("job_request_id", default="-")


def current_request_id() -> str:
    if has_request_context():
        return g.get("request_id", "-")
    return job_request_id.get()


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or its job's, or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
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
    # Python's warnings would be plain text on stderr: through the log, they are JSON too.
    logging.captureWarnings(True)


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access log as JSON: one object per request, fields from gunicorn's atoms.

    Used by ``logconfig_dict`` in gunicorn.conf.py (the error log there is JSON as well).
    """

    ATOMS = {
        "request_id": "{x-request-id}o",
        "method": "m",
        "path": "U",
        "query": "q",
        "status": "s",
        "bytes": "B",
        "ms": "M",
        "agent": "a",
        "remote": "h",
    }
    NUMBERS = ("status", "bytes", "ms")

    def add_fields(self, log_record, record, message_dict) -> None:
        super().add_fields(log_record, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else {}
        for name, atom in self.ATOMS.items():
            value = atoms[atom] if atoms else "-"
            if isinstance(value, str):
                value = value.replace('\\"', '"')  # gunicorn escapes quotes for its text format
            if name in self.NUMBERS:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    value = None
            log_record[name] = value


def request_id(environ: dict) -> str:
    """The load balancer's request id when it is a sane one, else a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex


def register_request_ids(app: Flask) -> None:
    @app.before_request
    def take_request_id() -> None:
        g.request_id = request_id(request.environ)

    @app.after_request
    def give_request_id(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        return response


def init_metrics(app: Flask) -> None:
    """One registry per app, so that tests may build many apps in one process.

    With ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py sets it) the values live in files
    shared by the workers, and the registry that answers ``/metrics`` collects them all;
    the marketplace's counters then write to those files and are not registered twice.
    """
    registry = CollectorRegistry()
    options = {
        "group_by": "endpoint",
        "excluded_paths": ["/metrics", "/healthz", "/readyz", "/static/", "/media/"],
    }
    counters_registry: CollectorRegistry | None = registry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        GunicornInternalPrometheusMetrics(app, registry=registry, **options)
        counters_registry = None
    else:
        PrometheusMetrics(app, registry=registry, **options)
    app.extensions["metrics"] = SimpleNamespace(
        jobs=Counter(
            "marketplace_jobs_total",
            "Background jobs run",
            ["job", "outcome"],
            registry=counters_registry,
        ),
        order_moves=Counter(
            "marketplace_order_moves_total",
            "Recorded moves of orders and their parts",
            ["kind", "to_status"],
            registry=counters_registry,
        ),
        # Answered by the page cache's lane before Flask runs, so not in flask_http_*.
        cached_pages=Counter(
            "marketplace_cached_pages_total",
            "Public pages answered from the page cache before the app ran",
            ["endpoint", "status"],
            registry=counters_registry,
        ),
    )


def count(metric: str, **labels: str) -> None:
    """Add one to a marketplace counter, when an app with metrics is at hand."""
    if has_app_context() and (metrics := current_app.extensions.get("metrics")):
        getattr(metrics, metric).labels(**labels).inc()
