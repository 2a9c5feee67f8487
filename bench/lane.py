"""Cached anonymous pages on PostgreSQL: the catalogue version pushed, or read on each hit.

The demo catalogue in a scratch PostgreSQL database ``bench_lane_<pid>``; three gunicorn
servers side by side (``-w 2``, sync, loopback): a bare Flask app, the marketplace with the
version pushed to each process (``PAGE_CACHE_PUSH``, the default) and the marketplace
reading it on each hit (``PAGE_CACHE_PUSH=false``). Rounds are interleaved; each ratio is
taken within its round against that round's bare Flask, medians over rounds.
"""

from __future__ import annotations

import os

from bench import load
from bench.common import (
    SEARCH_QUERY,
    flask_cli,
    gunicorn,
    instance_env,
    log,
    median,
    scratch,
)

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
DURATION = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP = 2.0
PAGES = {"home": "/", "list": "/produk", "search": f"/search?q={SEARCH_QUERY}"}


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def run() -> tuple[dict, dict]:
    name = f"bench_lane_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    instance = scratch() / "lane"
    instance.mkdir(parents=True, exist_ok=True)
    env = {**instance_env(instance), "DATABASE_URL": f"{SERVER}/{name}"}
    try:
        log("lane: flask db upgrade, flask demo load on PostgreSQL")
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "demo", "load", "--if-empty")
        with (
            gunicorn("bench.hello:app", env) as hello,
            gunicorn("wsgi:app", env) as pushed,
            gunicorn("wsgi:app", {**env, "PAGE_CACHE_PUSH": "false"}) as read,
        ):
            urls = {"hello": hello + "/"}
            for page, path in PAGES.items():
                urls[f"{page}_pushed"] = pushed + path
                urls[f"{page}_read"] = read + path
            for url in urls.values():
                load.run(url, WARMUP)
            rounds = []
            for number in range(1, ROUNDS + 1):
                measured = {key: load.run(url, DURATION) for key, url in urls.items()}
                rounds.append(measured)
                log(
                    f"lane round {number}: "
                    + ", ".join(f"{key} {m['rps']:.0f}/s" for key, m in measured.items())
                )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result: dict = {"hello_rps": round(median([r["hello"]["rps"] for r in rounds]), 1)}
    for page in PAGES:
        result[page] = {
            way: {
                "rps": round(median([r[f"{page}_{way}"]["rps"] for r in rounds]), 1),
                "ratio_to_hello": round(
                    median([r[f"{page}_{way}"]["rps"] / r["hello"]["rps"] for r in rounds]), 3
                ),
            }
            for way in ("pushed", "read")
        }
    bad = {key: sum(r[key]["bad"] for r in rounds) for key in urls}
    return result, {"rounds": ROUNDS, "round_seconds": DURATION, "bad": bad}
