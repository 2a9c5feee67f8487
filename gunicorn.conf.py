"""gunicorn settings for this app: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (``PORT``, ``WEB_CONCURRENCY``, ...).
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# Sync workers: pages are short, and the database does the waiting. Two per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# A photo upload from a phone on 3G may take a while to arrive; a page should not.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, at different times, against slow memory growth.
max_requests = 2000
max_requests_jitter = 200
# The load balancer's X-Forwarded-* headers are trusted from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
access_log_format = (
    '{"time": "%(t)s", "request_id": "%({x-request-id}o)s", "method": "%(m)s", '
    '"path": "%(U)s", "status": %(s)s, "bytes": %(B)s, "ms": %(M)s, "agent": "%(a)s"}'
)
errorlog = "-"
