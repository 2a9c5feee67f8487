"""Background jobs behind one small interface.

``enqueue("name", *args)`` inside a unit of work; nothing runs unless that
unit commits. Without ``REDIS_URL`` the jobs run in the same process once
the request (or command) is done; with it they go to an RQ queue that
``flask jobs worker`` works through, on any machine. RQ was chosen over
Celery: one small dependency on Redis, which the deployment already has
for rate limits, and nothing to configure.

Jobs take ids and plain values, reload their rows, and must be safe to run
twice: a queued job that fails is run again by RQ with backoff (``RETRY``), and a
queue may deliver a job again after a worker dies, or lose it (Redis restarted
empty, a web process killed between its commit and the enqueue). What a job does is
therefore recorded in its rows (an outbox), and a sweeper registered with
``@sweeper`` queues again what was never done: ``flask jobs sweep``, from cron.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import click
from flask import Flask, current_app, g, has_app_context
from flask.cli import AppGroup
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from marketplace.breaker import redis_client
from marketplace.db import db
from marketplace.observability import count, current_request_id, job_request_id

log = logging.getLogger(__name__)

QUEUE_NAME = "marketplace"
#: A hung Redis holds a request this long once, then the breaker skips it for a while.
QUEUE_TIMEOUT_SECONDS = 2
JOBS: dict[str, Callable[..., Any]] = {}
#: Functions that queue again the work lost with a job; each returns how many it queued.
SWEEPERS: list[Callable[[], int]] = []
#: RQ runs a failed job again this many times, waiting this many seconds before each.
RETRY_MAX = 3
RETRY_INTERVALS = (60, 300, 900)
_worker_app: Flask | None = None

jobs_cli = AppGroup("jobs", help="Background jobs.")


def job(name: str):
    """Register a function as the job ``name``."""

    def register(func):
        JOBS[name] = func
        return func

    return register


def sweeper(func: Callable[[], int]) -> Callable[[], int]:
    """Register ``func`` with ``flask jobs sweep``: it queues again the jobs found undone."""
    SWEEPERS.append(func)
    return func


def enqueue(name: str, *args: Any) -> None:
    """Run job ``name`` after the current transaction commits (never if it rolls back).

    The job's log lines carry the id of the request that queued it.
    """
    if name not in JOBS:
        raise KeyError(f"unknown job {name}")
    db.session.info.setdefault("pending_jobs", []).append((name, args, current_request_id()))


@event.listens_for(Session, "after_commit")
def _release_jobs(session):
    pending = session.info.pop("pending_jobs", [])
    if not pending or not has_app_context():
        return
    if current_app.config.get("REDIS_URL"):
        from redis import RedisError
        from rq import Retry

        # A Redis that hangs holds the request at most this long before the jobs run here.
        queue = _queue(current_app.config["REDIS_URL"], timeout=QUEUE_TIMEOUT_SECONDS)
        for number, (name, args, request_id) in enumerate(pending):
            try:
                queue.enqueue(
                    perform,
                    name,
                    *args,
                    request_id=request_id,
                    retry=Retry(max=RETRY_MAX, interval=list(RETRY_INTERVALS)),
                )
            except RedisError as error:
                # What was committed stays committed; its jobs run here, as without Redis.
                log.error(
                    "job queue unavailable (%s): %d job(s) run in this process",
                    error,
                    len(pending) - number,
                )
                g.setdefault("jobs_to_run", []).extend(pending[number:])
                return
    else:
        g.setdefault("jobs_to_run", []).extend(pending)


@event.listens_for(Session, "after_rollback")
def _drop_jobs(session):
    session.info.pop("pending_jobs", None)


def run_pending_jobs() -> int:
    """Run the jobs released by commits in this app context; returns how many ran.

    A failed job (logged and counted by ``_run``) does not keep the others from running;
    what it left undone is for ``flask jobs sweep``.
    """
    ready = g.pop("jobs_to_run", []) if has_app_context() else []
    app = current_app._get_current_object()
    for name, args, request_id in ready:
        # Each job in an app context of its own: its own session, its own commit.
        with app.app_context(), suppress(Exception):
            _run(name, args, request_id)
    return len(ready)


def _run(name: str, args: tuple, request_id: str = "-") -> None:
    token = job_request_id.set(request_id)
    try:
        _run_logged(name, args)
    finally:
        job_request_id.reset(token)


def _run_logged(name: str, args: tuple) -> None:
    try:
        JOBS[name](*args)
        db.session.commit()
    except Exception:
        db.session.rollback()
        count("jobs", job=name, outcome="failed")
        log.exception("job %s%r failed", name, args)
        raise
    count("jobs", job=name, outcome="done")


def perform(name: str, *args: Any, request_id: str = "-") -> None:
    """Entry point of a queued job in a worker process (``flask jobs worker``)."""
    if _worker_app is None:
        raise RuntimeError("queued jobs run in `flask jobs worker`, which knows the app")
    with _worker_app.app_context():
        _run(name, args, request_id)


@job("jobs.ping")
def ping() -> None:
    """Does nothing: proves that a queued job reaches a worker (``flask jobs ping``)."""


def _queue(url: str, timeout: float | None = None):
    """The job queue; ``timeout`` bounds each Redis call, behind the process's breaker.

    Without a timeout (a worker's long waits) the connection is a plain one: a worker
    waits for Redis to come back rather than being told to skip it.
    """
    from redis import Redis
    from rq import Queue

    if timeout is None:
        return Queue(QUEUE_NAME, connection=Redis.from_url(url))
    return Queue(QUEUE_NAME, connection=redis_client(current_app, url, timeout))


def init_jobs(app: Flask) -> None:
    """Run released jobs after each app context; the app factory has imported every job."""

    @app.teardown_appcontext
    def run_released_jobs(error):
        if error is None and g.get("jobs_to_run"):
            # A failed job is logged by _run; the response has already been made.
            run_pending_jobs()


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Work through the job queue in Redis (needs REDIS_URL)."""
    global _worker_app
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process.")
    # Jobs run in the worker's own process, one after another, on its app and its database
    # pool. RQ's default forks a process per job: about 5x slower here (bench `jobs`), and
    # a fork shares the parent's pooled connections. A job that crashes the process is
    # restarted by the supervisor (systemd) and, taking ids, is safe to run again.
    from rq import SimpleWorker

    _worker_app = current_app._get_current_object()
    queue = _queue(url)
    # The scheduler (a process of its own, or once per burst) queues the retries when due.
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)


@jobs_cli.command("ping")
def ping_command() -> None:
    """Queue a job that does nothing: a worker's log shows it was done."""
    enqueue("jobs.ping")
    # A job is released by a commit; this one has nothing else to commit.
    db.session.execute(text("SELECT 1"))
    db.session.commit()
    click.echo("ping queued" if current_app.config.get("REDIS_URL") else "ping done inline")


@jobs_cli.command("sweep")
def sweep_command() -> None:
    """Queue again the jobs whose work is still undone (run it every few minutes)."""
    queued = 0
    for func in SWEEPERS:
        queued += func()
        db.session.commit()
    click.echo(f"{queued} job(s) queued again")
