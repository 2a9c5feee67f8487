"""gunicorn settings for this app: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (``PORT``, ``WEB_CONCURRENCY``, ...).
"""

import glob
import multiprocessing
import os
import shutil
import tempfile

# Prometheus metrics of every worker go to files in one folder, and /metrics sums them
# (prometheus_client's multiprocess mode). Set before the app, and so prometheus_client,
# is imported. One folder per server: its own, or PROMETHEUS_MULTIPROC_DIR if given.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marketplace-metrics-")
metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# Sync workers: pages are short, and the database does the waiting. Two per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# The app is imported once, in the master, before the workers are forked: a worker that
# dies (killed, out of memory, recycled) is back in milliseconds instead of importing
# everything again, and a broken app stops the start instead of every worker. Sync
# workers expect a buffering proxy in front (deploy/nginx.conf, README "Production").
preload_app = True
# A photo upload from a phone on 3G may take a while to arrive; a page should not.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, at different times, against slow memory growth.
max_requests = 2000
max_requests_jitter = 200
# The load balancer's X-Forwarded-* headers are trusted from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Every line JSON, as the app's own log: the access log (one object per request, with
# the request id the app sent back) on stdout, gunicorn's own messages on stderr.
accesslog = "-"
access_log_format = "%(m)s %(U)s %(s)s"
errorlog = "-"
_JSON_FIELDS = {"asctime": "time", "levelname": "level", "name": "logger"}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": _JSON_FIELDS,
            "static_fields": {"request_id": "-"},
        },
        "access": {
            "()": "marketplace.observability.AccessJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": _JSON_FIELDS,
        },
    },
    "handlers": {
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}


def when_ready(server):
    # The app was loaded here, in the master, before any worker is forked (preload_app):
    # what every worker would repeat on its first requests is done once and shared.
    app = server.app.wsgi() if server.cfg.preload_app else None
    if getattr(app, "import_name", None) == "marketplace":
        from marketplace import prepare_to_fork

        prepare_to_fork(app)


def on_starting(server):
    # Values left by an earlier run in a given folder would be added to this one's.
    for path in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(path)


def child_exit(server, worker):
    # A worker that ended (recycled by max_requests, or crashed) keeps its counts;
    # its gauges are dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
