"""Interleaved rounds next to bare Flask, shared by ``pages``, ``render`` and ``signed_in``.

Each target (bench/hello.py and the pages) is warmed, then loaded in turn, round after
round (hello, home, list, ..., hello, home, ...); medians are taken over rounds and each
page's ratio within its round, against that round's hello, so that a noisy neighbour
slows both sides alike. A target measured with ``with_cpu`` also reports ``cpu_ms``: the
CPU time its gunicorn (master and workers, from /proc) spent per request in the round,
which holds better than req/s on a machine whose other work takes the cores.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench import load
from bench.common import log, median

Measure = Callable[[float], dict]
TICKS = os.sysconf("SC_CLK_TCK")


def check(url: str) -> None:
    """The page answers 200 before it is loaded."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def run_rounds(
    label: str, targets: dict[str, Measure], rounds: int, duration: float, warmup: float
) -> list[dict[str, dict]]:
    """Warm every target, then ``rounds`` interleaved rounds of ``duration`` seconds each."""
    for measure in targets.values():
        measure(warmup)
    done: list[dict[str, dict]] = []
    for number in range(1, rounds + 1):
        measured = {name: measure(duration) for name, measure in targets.items()}
        done.append(measured)
        log(
            f"{label} round {number}: "
            + ", ".join(f"{name} {m['rps']:.0f}/s" for name, m in measured.items())
        )
    bad = bad_answers(done)
    if any(bad.values()):
        log(f"{label}: WARNING errors or non-2xx answers: {bad}")
    return done


def bad_answers(rounds: list[dict[str, dict]]) -> dict[str, int]:
    return {name: sum(r[name]["bad"] for r in rounds) for name in rounds[0]}


def figures(rounds: list[dict[str, dict]], page: str) -> dict:
    """A page's medians over the rounds, and its ratio to hello within each round."""
    result = {
        "rps": round(median([r[page]["rps"] for r in rounds]), 1),
        "p50_ms": round(median([r[page]["p50_ms"] for r in rounds]), 2),
        "p99_ms": round(median([r[page]["p99_ms"] for r in rounds]), 2),
        "ratio_to_hello": round(median([r[page]["rps"] / r["hello"]["rps"] for r in rounds]), 3),
    }
    if "cpu_ms" in rounds[0][page]:
        result["cpu_ms"] = round(median([r[page]["cpu_ms"] for r in rounds]), 2)
        result["cpu_ratio_to_hello"] = round(
            median([r["hello"]["cpu_ms"] / r[page]["cpu_ms"] for r in rounds if r[page]["cpu_ms"]]),
            3,
        )
    return result


def hello_figures(rounds: list[dict[str, dict]]) -> dict:
    result = {"hello_rps": round(median([r["hello"]["rps"] for r in rounds]), 1)}
    if "cpu_ms" in rounds[0]["hello"]:
        result["hello_cpu_ms"] = round(median([r["hello"]["cpu_ms"] for r in rounds]), 2)
    return result


def meta(rounds: list[dict[str, dict]], count: int, duration: float, workers: int) -> dict:
    """What every such benchmark notes: the set-up, hello's latency, each target's range."""
    return {
        "generator": load.generator(),
        "rounds": count,
        "round_seconds": duration,
        "connections": load.CONNECTIONS,
        "workers": workers,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "hello_p50_ms": round(median([r["hello"]["p50_ms"] for r in rounds]), 2),
        "hello_p99_ms": round(median([r["hello"]["p99_ms"] for r in rounds]), 2),
        "rps_range": {
            name: [
                round(min(r[name]["rps"] for r in rounds)),
                round(max(r[name]["rps"] for r in rounds)),
            ]
            for name in rounds[0]
        },
        "bad": bad_answers(rounds),
    }


# --- the servers' CPU time -------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name (state is [0], ppid [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_master(url: str) -> int:
    """gunicorn's master serving ``url`` (its command line names the port; its parent
    is not one of them)."""
    bind = url.removeprefix("http://").split("/", 1)[0].encode()
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


def with_cpu(measure: Measure, master: int) -> Measure:
    """``measure`` plus the servers' CPU milliseconds per request (``cpu_ms``)."""

    def measured(duration: float) -> dict:
        before = cpu_seconds(master)
        result = measure(duration)
        used = cpu_seconds(master) - before
        requests = result["rps"] * duration
        return {**result, "cpu_ms": used * 1000 / requests if requests else 0.0}

    return measured
