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
from pathlib import Path

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


TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name (state is [0], ppid [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_master(url: str) -> int:
    """gunicorn's master serving ``url`` (its command line names the port; its parent
    is not one of them)."""
    bind = url.removeprefix("http://").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"gunicorn" in command and bind in command:
                found.append(int(entry.name))
    return next(pid for pid in found if int(_stat(pid)[1]) not in found)


def cpu_seconds(master: int) -> float:
    """User and system CPU time of gunicorn's master, its workers now, and the workers it
    has reaped (a worker that times out and is replaced still counts)."""
    fields = _stat(master)
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                worker = _stat(int(entry.name))
            except (OSError, IndexError):
                continue
            if int(worker[1]) == master:
                ticks += int(worker[11]) + int(worker[12])
    return ticks / TICKS


def measured_run(url: str, master: int, duration: float) -> dict:
    """``load.run`` plus the servers' CPU milliseconds per request (``cpu_ms``)."""
    before = cpu_seconds(master)
    measured = load.run(url, duration)
    used = cpu_seconds(master) - before
    requests = measured["rps"] * duration
    return {**measured, "cpu_ms": used * 1000 / requests if requests else 0.0}


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
        masters = {"hello": server_master(hello), "site": server_master(site)}
        rounds: list[dict[str, dict]] = []
        for number in range(1, ROUNDS + 1):
            measured = {
                name: measured_run(url, masters["hello" if name == "hello" else "site"], DURATION)
                for name, url in urls.items()
            }
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
            "cpu_ms": round(median([r[page]["cpu_ms"] for r in rounds]), 2),
            "cpu_ratio_to_hello": round(
                median(
                    [r["hello"]["cpu_ms"] / r[page]["cpu_ms"] for r in rounds if r[page]["cpu_ms"]]
                ),
                3,
            ),
        }
    result["hello_cpu_ms"] = round(median([r["hello"]["cpu_ms"] for r in rounds]), 2)
    meta = {
        "generator": load.generator(),
        "rounds": ROUNDS,
        "round_seconds": DURATION,
        "connections": load.CONNECTIONS,
        "workers": WORKERS,
        "page_cache": False,
        "load_average": [round(x, 2) for x in os.getloadavg()],
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
