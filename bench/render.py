"""Rendering speed: the main pages with the page cache off, next to a bare Flask app.

What a signed-in household, buyer or officer gets: every page rendered. The same set-up
as ``pages`` (the demo catalogue that ``make run`` loads, gunicorn ``-w 2`` sync workers on
loopback, bench/hello.py under the same settings, interleaved rounds, medians, each
page's ratio taken within its round) with ``MARKETPLACE_PAGE_CACHE=false``: neither the
lane in front of the app nor the view decorator serves a stored page, so each request
runs the views, the queries and the templates.

On a shared machine whose other work takes most of the two cores, requests per second
say more about the scheduler than about the page (a long request is pre-empted more
often than a short one). So each round also reads the CPU time the servers' processes
(gunicorn's master and workers, from /proc) spent on it: ``cpu_ms`` is that per request,
and ``cpu_ratio_to_hello`` is hello's ``cpu_ms`` over the page's, within the round: the
ratio an otherwise idle machine would give, were the load generator free.
"""

from __future__ import annotations

import os
from functools import partial

from bench import load
from bench.common import demo_instance, demo_targets, gunicorn, instance_env, log, median
from bench.rounds import check, figures, hello_figures, meta, run_rounds, server_master, with_cpu

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
            check(url)
        masters = {"hello": server_master(hello), "site": server_master(site)}
        targets = {
            name: with_cpu(partial(load.run, url), masters["hello" if name == "hello" else "site"])
            for name, url in urls.items()
        }
        done = run_rounds("render", targets, ROUNDS, DURATION, WARMUP)
    result = {**hello_figures(done), **{page: figures(done, page) for page in PAGES}}
    result["in_process"] = in_process()
    return result, {
        **meta(done, ROUNDS, DURATION, WORKERS),
        "page_cache": False,
        "paths": {page: paths[page] for page in PAGES},
    }


def in_process(requests: int = 100, cold: int = 30) -> dict[str, dict[str, float]]:
    """Each page's CPU milliseconds in-process (the Flask test client, gzip, SQLite demo
    catalogue, page cache off): ``warm_ms`` as the rounds above serve it (best of 3 ×
    ``requests``), and ``cold_ms`` as the first visitor after a change of the catalogue
    gets it (median of ``cold`` requests, each after the version moved, so nothing kept per
    catalogue version is there): what a page costs before the memo holds its parts."""
    import time

    from sqlalchemy import text

    from bench.common import SEARCH_QUERY, scratch, scratch_app
    from marketplace.catalogversion import bump_catalog_version
    from marketplace.db import db

    app = scratch_app(f"sqlite:///{scratch() / 'render-in-process.db'}", "render-in-process")
    with app.app_context():
        product = db.session.execute(
            text(
                "SELECT slug FROM products WHERE status = 'published' "
                "ORDER BY published_at DESC, id DESC LIMIT 1"
            )
        ).scalar()
        db.session.remove()
    paths = {
        "home": "/",
        "list": "/produk",
        "product": f"/produk/{product}",
        "search": f"/search?q={SEARCH_QUERY}",
    }
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip"}

    def timed(path: str) -> float:
        started = time.process_time()
        answer = client.get(path, headers=headers)
        spent = time.process_time() - started
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code} in-process")
        return spent * 1000

    figures_ms: dict[str, dict[str, float]] = {}
    for page, path in paths.items():
        for _ in range(20):
            timed(path)
        warm = min(sum(timed(path) for _ in range(requests)) / requests for _ in range(3))
        fresh = []
        for _ in range(cold):
            with app.app_context():
                bump_catalog_version()
                db.session.commit()
                db.session.remove()
            fresh.append(timed(path))
        figures_ms[page] = {"warm_ms": round(warm, 2), "cold_ms": round(median(fresh), 2)}
    return figures_ms
