"""Requests per second and latency of the main pages, next to a bare Flask app.

Both run under the same gunicorn settings (``-w 2``, sync workers, loopback) on
the demo catalogue that ``make run`` loads. Rounds are interleaved (hello, home,
list, product, search, hello, home, ...) and medians taken over rounds; each
page's ratio is taken within its round, against that round's hello, so that a
noisy neighbour slows both sides alike.
"""

from __future__ import annotations

import os
from functools import partial

from bench import load
from bench.common import demo_instance, demo_targets, gunicorn, instance_env, log
from bench.rounds import check, figures, hello_figures, meta, run_rounds

PAGES = ("home", "list", "product", "search")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "8"))
DURATION = float(os.environ.get("BENCH_SECONDS", "6"))
WARMUP = 2.0
WORKERS = 2


def run() -> tuple[dict, dict]:
    instance = demo_instance()
    paths = demo_targets(instance)
    env = instance_env(instance)
    log(f"pages: load generator {load.generator()}, {ROUNDS} rounds of {DURATION:g} s")
    with (
        gunicorn("bench.hello:app", env, WORKERS) as hello,
        gunicorn("wsgi:app", env, WORKERS) as site,
    ):
        urls = {"hello": hello + "/", **{page: site + paths[page] for page in PAGES}}
        for url in urls.values():
            check(url)
        targets = {name: partial(load.run, url) for name, url in urls.items()}
        done = run_rounds("pages", targets, ROUNDS, DURATION, WARMUP)
    result = {**hello_figures(done), **{page: figures(done, page) for page in PAGES}}
    return result, {**meta(done, ROUNDS, DURATION, WORKERS), "paths": {p: paths[p] for p in PAGES}}
