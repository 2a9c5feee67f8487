"""Job throughput: inline (in the web process) against RQ on Redis with 1 and 2 workers.

Two jobs: ``jobs.ping`` (does nothing: the cost of the machinery) and ``mail.send``
(``send_mail``: the message stored in ``outgoing_mails``; the job reloads it, writes it to
the log, as without ``SMTP_URL``, and marks it sent). ``JOBS`` of one kind are enqueued
in one transaction and released by its commit, as a request would. The scratch database
is SQLite (migrated), shared by the workers.

- inline: without ``REDIS_URL`` the released jobs run in the same process, each in an
  app context and transaction of its own (what happens after a request).
- redis: with ``REDIS_URL`` (``BENCH_REDIS``, a database of its own, emptied before and
  after) the commit puts them on the RQ queue; ``flask jobs worker`` processes, started
  and registered beforehand, work through it. Timed from the commit to the last job
  finished; ``enqueue_per_s`` is how fast the committing process hands them over.

Logs of the jobs go to /dev/null on both sides.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

from bench.common import ROOT, SECRET_KEY, log, median, scratch

REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11")
JOBS = int(os.environ.get("BENCH_JOBS", "400"))
RUNS = int(os.environ.get("BENCH_JOBS_RUNS", "3"))
WORKER_COUNTS = (1, 2)
KINDS = ("ping", "mail")
MAIL = ("ibu@contoh.id", "Pesanan baru", "Ada pesanan baru.\n" * 8)


def _app(instance):
    import flask_migrate

    from marketplace import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'jobs.db'}",
            "MEDIA_ROOT": str(instance / "media"),
            "SECRET_KEY": SECRET_KEY,
            "REDIS_URL": "",
            "SMTP_URL": "",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _release(app, kind: str) -> float:
    """Enqueue ``JOBS`` jobs in one transaction and commit; returns the commit's seconds."""
    from sqlalchemy import text

    from marketplace.db import db
    from marketplace.jobs import enqueue
    from marketplace.mail import send_mail

    db.session.execute(text("SELECT 1"))
    for _ in range(JOBS):
        if kind == "mail":
            send_mail(*MAIL)
        else:
            enqueue("jobs.ping")
    started = time.perf_counter()
    db.session.commit()
    return time.perf_counter() - started


def _inline(app, kind: str) -> float:
    from marketplace.jobs import run_pending_jobs

    with app.app_context():
        _release(app, kind)
        started = time.perf_counter()
        ran = run_pending_jobs()
        elapsed = time.perf_counter() - started
    if ran != JOBS:
        raise RuntimeError(f"inline: {ran} of {JOBS} jobs ran")
    return JOBS / elapsed


def _start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    from redis import Redis
    from rq import Worker

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "worker"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    redis = Redis.from_url(REDIS)
    deadline = time.monotonic() + 60
    while Worker.count(connection=redis) < count:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            _stop(workers)
            raise RuntimeError("the RQ workers did not start")
        time.sleep(0.05)
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _queued(app, kind: str) -> tuple[float, float]:
    from redis import Redis
    from rq import Queue

    from marketplace.jobs import QUEUE_NAME

    redis = Redis.from_url(REDIS)
    queue = Queue(QUEUE_NAME, connection=redis)
    done_before = queue.finished_job_registry.count + queue.failed_job_registry.count
    app.config["REDIS_URL"] = REDIS
    try:
        with app.app_context():
            started = time.perf_counter()
            commit_seconds = _release(app, kind)
    finally:
        app.config["REDIS_URL"] = ""
    deadline = time.monotonic() + 600
    while True:
        finished = queue.finished_job_registry.count
        failed = queue.failed_job_registry.count
        if finished + failed - done_before >= JOBS:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the queued jobs were not done within 10 minutes")
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    if failed:
        raise RuntimeError(f"{failed} queued job(s) failed")
    return JOBS / elapsed, JOBS / commit_seconds


def run() -> tuple[dict, dict]:
    from redis import Redis

    instance = scratch() / "jobs"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'jobs.db'}",
        "MEDIA_ROOT": str(instance / "media"),
        "SECRET_KEY": SECRET_KEY,
        "REDIS_URL": REDIS,
        "SMTP_URL": "",
        "FLASK_APP": "wsgi:app",
    }
    redis = Redis.from_url(REDIS)
    redis.flushdb()
    app = _app(instance)
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [logging.StreamHandler(open(os.devnull, "w"))]  # noqa: SIM115
    result: dict = {kind: {"redis": {}} for kind in KINDS}
    notes: dict = {"jobs_per_run": JOBS, "runs": RUNS, "redis": REDIS, "enqueue_per_s": {}}
    try:
        for kind in KINDS:
            result[kind]["inline"] = round(median([_inline(app, kind) for _ in range(RUNS)]))
        for count in WORKER_COUNTS:
            workers = _start_workers(count, env)
            try:
                for kind in KINDS:
                    runs = [_queued(app, kind) for _ in range(RUNS)]
                    result[kind]["redis"][str(count)] = round(median([r[0] for r in runs]))
                    notes["enqueue_per_s"][kind] = round(median([r[1] for r in runs]))
            finally:
                _stop(workers)
    finally:
        root.handlers[:] = saved
        redis.flushdb()
    log(f"jobs per second: {result}")
    return result, notes
