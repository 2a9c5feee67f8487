"""Worker scaling: the product page with 1, 2 and 4 gunicorn workers, on PostgreSQL.

A scratch database ``bench_workers_<pid>`` (migrated, the demo catalogue). For each
worker count the app and bench/hello.py (bare Flask) are served under the same gunicorn
settings (sync workers, loopback), and loaded in turn for ``ROUNDS`` interleaved rounds;
the page is served as deployed (anonymous visitors get the page cache), and once more by
a second app with the page cache off (``rendered``: what a signed-in visitor gets). On a
machine with two cores the curve should rise from 1 to 2 workers and stay flat at 4: a
curve that stays flat from 1 to 2 means something serialises (a lock, the database, the
pool). ``scaling`` is the 2-worker rate over the 1-worker rate of each (goal ≥ 1.5).
wrk runs on the same two cores: its own CPU time per round is recorded (``wrk_cpu``),
since a load generator that takes most of a core caps what 2 workers can show.
"""

from __future__ import annotations

import os

from bench import load
from bench.common import SECRET_KEY, gunicorn, log, median, scratch
from bench.common import scratch_app as make_app
from bench.render import NO_PAGE_CACHE
from bench.rounds import check
from bench.scale import SERVER, _admin

COUNTS = (1, 2, 4)
ROUNDS = int(os.environ.get("BENCH_WORKERS_ROUNDS", "3"))
DURATION = float(os.environ.get("BENCH_WORKERS_SECONDS", "5"))
WARMUP = 2.0


def _product_path(app) -> str:
    from sqlalchemy import select

    from marketplace.catalog.models import Product
    from marketplace.db import db

    with app.app_context():
        slug = db.session.scalar(
            select(Product.slug)
            .where(Product.status == "published")
            .order_by(Product.published_at.desc(), Product.id.desc())
            .limit(1)
        )
        db.session.remove()
        db.engine.dispose()
    return f"/produk/{slug}"


def _timed_run(url: str) -> dict:
    """``load.run``, with the CPU time the load generator (our children) took per second."""
    before = os.times()
    measured = load.run(url, DURATION)
    after = os.times()
    used = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {**measured, "wrk_cpu": round(used / DURATION, 2)}


def run() -> tuple[dict, dict]:
    name = f"bench_workers_{os.getpid()}"
    url = f"{SERVER}/{name}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    instance = scratch() / "workers"
    env = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(instance / "media"),
        "SECRET_KEY": SECRET_KEY,
        "FLASK_APP": "wsgi:app",
    }
    measured: dict[int, list[dict]] = {}
    try:
        path = _product_path(make_app(url, "workers"))
        log(f"workers: {path} on PostgreSQL, {ROUNDS} rounds of {DURATION:g} s per count")
        for count in COUNTS:
            with (
                gunicorn("bench.hello:app", env, count) as hello,
                gunicorn("wsgi:app", env, count) as site,
                gunicorn("wsgi:app", {**env, **NO_PAGE_CACHE}, count) as rendering,
            ):
                urls = {"hello": hello + "/", "product": site + path, "rendered": rendering + path}
                for target in urls.values():
                    check(target)
                    load.run(target, WARMUP)
                rounds = []
                for _ in range(ROUNDS):
                    rounds.append({key: _timed_run(target) for key, target in urls.items()})
                measured[count] = rounds
            log(
                f"workers -w {count}: "
                + ", ".join(
                    f"{key} {median([r[key]['rps'] for r in rounds]):.0f}/s"
                    for key in ("product", "rendered", "hello")
                )
            )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def figure(count: int, target: str, key: str) -> float:
        return round(median([r[target][key] for r in measured[count]]), 2)

    keys = [str(count) for count in COUNTS]

    def scaling(target: str) -> float:
        one = figure(1, target, "rps")
        return round(figure(2, target, "rps") / one, 2) if one else 0.0

    result = {
        "rps": {key: round(figure(int(key), "product", "rps"), 1) for key in keys},
        "p50_ms": {key: figure(int(key), "product", "p50_ms") for key in keys},
        "p99_ms": {key: figure(int(key), "product", "p99_ms") for key in keys},
        "hello_rps": {key: round(figure(int(key), "hello", "rps"), 1) for key in keys},
        "ratio_to_hello": {
            key: round(
                median([r["product"]["rps"] / r["hello"]["rps"] for r in measured[int(key)]]), 3
            )
            for key in keys
        },
        "rendered": {
            "rps": {key: round(figure(int(key), "rendered", "rps"), 1) for key in keys},
            "p50_ms": {key: figure(int(key), "rendered", "p50_ms") for key in keys},
            "p99_ms": {key: figure(int(key), "rendered", "p99_ms") for key in keys},
            "ratio_to_hello": {
                key: round(
                    median([r["rendered"]["rps"] / r["hello"]["rps"] for r in measured[int(key)]]),
                    3,
                )
                for key in keys
            },
        },
        #: 2 workers' requests per second over 1 worker's (goal ≥ 1.5 for cached and rendered)
        "scaling": {
            "cached": scaling("product"),
            "rendered": scaling("rendered"),
            "hello": scaling("hello"),
        },
        #: wrk's own CPU seconds per second of load (1.0 = a whole core of the two)
        "wrk_cpu": {
            key: {t: figure(int(key), t, "wrk_cpu") for t in ("hello", "product", "rendered")}
            for key in keys
        },
    }
    notes = {
        "database": name,
        "path": path,
        "generator": load.generator(),
        "connections": load.CONNECTIONS,
        "rounds": ROUNDS,
        "round_seconds": DURATION,
        "hello_p50_ms": {key: figure(int(key), "hello", "p50_ms") for key in keys},
        "hello_p99_ms": {key: figure(int(key), "hello", "p99_ms") for key in keys},
        "bad": {
            key: sum(
                r[t]["bad"] for r in measured[int(key)] for t in ("hello", "product", "rendered")
            )
            for key in keys
        },
    }
    return result, notes
