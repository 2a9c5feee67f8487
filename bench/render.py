"""Rendering speed: the main pages with the page cache off, next to a bare Flask app.

What a signed-in household, buyer or officer gets: every page rendered. The same set-up
as ``pages`` (the demo catalogue that ``make run`` loads, gunicorn ``-w 2`` sync workers on
loopback, bench/hello.py under the same settings, interleaved rounds, medians, each
page's ratio taken within its round) with ``MARKETPLACE_PAGE_CACHE=false``: neither the
lane in front of the app nor the view decorator serves a stored page, so each request
runs the views, the queries and the templates.
"""

from __future__ import annotations

import os

from bench import load
from bench.common import demo_instance, demo_targets, gunicorn, instance_env, log, median
from bench.pages import _check

PAGES = ("home", "list", "product", "search")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "8"))
DURATION = float(os.environ.get("BENCH_SECONDS", "6"))
WARMUP = 2.0
WORKERS = 2
#: The page cache off, as ``from_prefixed_env`` reads it (JSON ``false``).
NO_PAGE_CACHE = {"MARKETPLACE_PAGE_CACHE": "false"}


def run() -> tuple[dict, dict]:
    instance = demo_instance()
    paths = demo_targets(instance)
    env = instance_env(instance)
    log(f"render: load generator {load.generator()}, {ROUNDS} rounds of {DURATION:g} s")
    with (
        gunicorn("bench.hello:app", env, WORKERS) as hello,
        gunicorn("wsgi:app", {**env, **NO_PAGE_CACHE}, WORKERS) as site,
    ):
        urls = {"hello": hello + "/", **{page: site + paths[page] for page in PAGES}}
        for url in urls.values():
            _check(url)
            load.run(url, WARMUP)
        rounds: list[dict[str, dict]] = []
        for number in range(1, ROUNDS + 1):
            measured = {name: load.run(url, DURATION) for name, url in urls.items()}
            rounds.append(measured)
            log(
                f"render round {number}: "
                + ", ".join(f"{name} {m['rps']:.0f}/s" for name, m in measured.items())
            )
    bad = {name: sum(r[name]["bad"] for r in rounds) for name in urls}
    if any(bad.values()):
        log(f"render: WARNING errors or non-2xx answers: {bad}")
    result: dict = {"hello_rps": round(median([r["hello"]["rps"] for r in rounds]), 1)}
    for page in PAGES:
        result[page] = {
            "rps": round(median([r[page]["rps"] for r in rounds]), 1),
            "p50_ms": round(median([r[page]["p50_ms"] for r in rounds]), 2),
            "p99_ms": round(median([r[page]["p99_ms"] for r in rounds]), 2),
            "ratio_to_hello": round(
                median([r[page]["rps"] / r["hello"]["rps"] for r in rounds]), 3
            ),
        }
    meta = {
        "generator": load.generator(),
        "rounds": ROUNDS,
        "round_seconds": DURATION,
        "connections": load.CONNECTIONS,
        "workers": WORKERS,
        "page_cache": False,
        "paths": {page: paths[page] for page in PAGES},
        "hello_p50_ms": round(median([r["hello"]["p50_ms"] for r in rounds]), 2),
        "hello_p99_ms": round(median([r["hello"]["p99_ms"] for r in rounds]), 2),
        "rps_range": {
            name: [
                round(min(r[name]["rps"] for r in rounds)),
                round(max(r[name]["rps"] for r in rounds)),
            ]
            for name in urls
        },
        "bad": bad,
    }
    return result, meta
