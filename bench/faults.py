"""What a normal visitor gets while idle connections are held, behind nginx and without it.

The demo instance (as ``make run`` loads it) under gunicorn as the README's production
setup runs it (gunicorn.conf.py, 2 sync workers, ``PROXY_HOPS=1``), once straight and once
behind nginx (deploy/nginx.conf, started by deploy/render_nginx.py). For each, in
interleaved rounds, the product page is loaded (same load generator as ``pages``) first
alone, then while ``IDLE`` sockets are held open that sent nothing: what a few phones on a
dead link, or anyone, can do to a site. Each round opens its own idle sockets (nginx would
drop them after 15 s).

Then the database freezes: the app on a scratch PostgreSQL database reached through a relay
that stops relaying (tests/servers.FreezableProxy: a frozen server, for this app alone),
under gunicorn as in production. The figure is the seconds from the freeze to a visitor's
first answer, the 503 page, for a page no cache holds; the reference beside it is the same
page's answer time before the freeze.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, closing

from bench import load
from bench.common import (
    SECRET_KEY,
    demo_instance,
    demo_targets,
    free_port,
    gunicorn,
    instance_env,
    log,
    median,
    scratch,
    scratch_app,
)
from bench.scale import SERVER, _admin
from deploy.render_nginx import nginx_binary, running_nginx
from tests.servers import FreezableProxy

IDLE = int(os.environ.get("BENCH_FAULTS_IDLE", "1000"))
ROUNDS = int(os.environ.get("BENCH_FAULTS_ROUNDS", "3"))
DURATION = float(os.environ.get("BENCH_FAULTS_SECONDS", "5"))
WARMUP = 2.0
WORKERS = 2


def _held(url: str) -> ExitStack:
    host, port = url.removeprefix("http://").split("/", 1)[0].rsplit(":", 1)
    stack = ExitStack()
    for _ in range(IDLE):
        stack.enter_context(closing(socket.create_connection((host, int(port)))))
    return stack


def run() -> tuple[dict, dict]:
    if nginx_binary() is None:
        raise RuntimeError("nginx is not installed: make system-packages")
    instance = demo_instance()
    path = demo_targets(instance)["product"]
    env = {**instance_env(instance), "PROXY_HOPS": "1"}
    port = free_port()
    log(f"faults: {path}, {IDLE} idle sockets, {ROUNDS} rounds of {DURATION:g} s")
    with ExitStack() as servers:
        site = servers.enter_context(gunicorn("wsgi:app", env, WORKERS))
        servers.enter_context(
            running_nginx(
                site.removeprefix("http://"),
                str(instance / "media"),
                scratch() / "faults-nginx",
                f"127.0.0.1:{port}",
            )
        )
        urls = {"nginx": f"http://127.0.0.1:{port}{path}", "direct": site + path}
        for url in urls.values():
            load.run(url, WARMUP)
        rounds = []
        for number in range(1, ROUNDS + 1):
            measured = {}
            for name, url in urls.items():
                measured[f"{name}_alone"] = load.run(url, DURATION)
                with _held(url):
                    measured[f"{name}_idle"] = load.run(url, DURATION)
            rounds.append(measured)
            log(
                f"faults round {number}: "
                + ", ".join(f"{key} {m['rps']:.0f}/s" for key, m in measured.items())
            )

    def figure(key: str, field: str = "rps") -> float:
        return round(median([r[key][field] for r in rounds]), 1)

    frozen = _first_503()
    result = {
        "first_503_when_db_frozen_s": frozen["first_503_s"],
        "served_while_idle_conns_rps": {
            "nginx": figure("nginx_idle"),
            "direct": figure("direct_idle"),
        },
        "served_alone_rps": {"nginx": figure("nginx_alone"), "direct": figure("direct_alone")},
        "idle_conns": IDLE,
    }
    notes = {
        "generator": load.generator(),
        "connections": load.CONNECTIONS,
        "workers": WORKERS,
        "rounds": ROUNDS,
        "round_seconds": DURATION,
        "path": path,
        "p99_ms": {key: figure(key, "p99_ms") for key in rounds[0]},
        "bad": {key: sum(r[key]["bad"] for r in rounds) for key in rounds[0]},
        "db_frozen": frozen,
    }
    return result, notes


def _answer(url: str) -> tuple[int, float]:
    """The status of ``url`` and the seconds it took (a 5xx is an answer too)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (loopback)
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, round(time.monotonic() - started, 2)


def _first_503() -> dict:
    """Seconds from the database freezing to the first 503 page of a page no cache holds."""
    name = f"bench_faults_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    instance = scratch() / "faults-pg"
    proxy = None
    try:
        scratch_app(f"{SERVER}/{name}", "faults-pg")
        host, port = SERVER.rsplit("@", 1)[1].rsplit(":", 1)
        proxy = FreezableProxy(host, int(port))
        env = {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"{SERVER.rsplit('@', 1)[0]}@127.0.0.1:{proxy.port}/{name}",
            "MEDIA_ROOT": str(scratch() / "faults-pg" / "media"),
            "SECRET_KEY": SECRET_KEY,
            "FLASK_APP": "wsgi:app",
        }
        with gunicorn("wsgi:app", env, WORKERS) as site:
            before = _answer(site + "/produk?sort=price_asc")
            proxy.freeze()
            frozen = _answer(site + "/produk?sort=price_desc")
            proxy.thaw()
            after = _answer(site + "/produk?sort=name")
    finally:
        if proxy is not None:
            proxy.close()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    log(f"faults: database frozen, first answer {frozen[0]} after {frozen[1]} s")
    if frozen[0] != 503:
        raise RuntimeError(f"a frozen database answered {frozen[0]}, not the 503 page")
    return {
        "first_503_s": frozen[1],
        "before_freeze_s": before[1],
        "after_thaw": {"status": after[0], "seconds": after[1]},
    }
