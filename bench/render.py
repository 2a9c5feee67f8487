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
from bench.common import demo_instance, demo_targets, gunicorn, instance_env, log
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
    return result, {
        **meta(done, ROUNDS, DURATION, WORKERS),
        "page_cache": False,
        "paths": {page: paths[page] for page in PAGES},
    }
