"""Load generators on loopback: wrk when installed, else a small Python one.

Both keep ``CONNECTIONS`` requests in flight for ``duration`` seconds and report
requests per second, p50 and p99 latency (ms), and how many answers were not 2xx/3xx.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import percentile

CONNECTIONS = 16
WRK_THREADS = 2
#: What a phone's browser sends: the pages are measured as they are served to it.
HEADERS = {"Accept-Encoding": "gzip"}

WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"bad": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
"""


def generator() -> str:
    """``wrk`` when installed (``BENCH_LOADGEN=python`` forces the Python one)."""
    if os.environ.get("BENCH_LOADGEN") == "python" or not shutil.which("wrk"):
        return "python"
    return "wrk"


def run(url: str, duration: float, headers: dict[str, str] | None = None) -> dict:
    """Load ``url`` for ``duration`` seconds: ``{"rps", "p50_ms", "p99_ms", "bad"}``.

    ``headers`` are sent besides ``HEADERS`` (a signed-in visitor's ``Cookie``)."""
    headers = {**HEADERS, **(headers or {})}
    if generator() == "wrk":
        return _wrk(url, duration, headers)
    return _python(url, duration, headers)


def _wrk(url: str, duration: float, headers: dict[str, str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        command = ["wrk", "-t", str(min(WRK_THREADS, CONNECTIONS)), "-c", str(CONNECTIONS)]
        command += ["-d", f"{duration:g}s", "--timeout", "10s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    line = next(line for line in output.splitlines() if line.startswith("WRK-JSON "))
    data = json.loads(line.removeprefix("WRK-JSON "))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "bad": data["bad"],
    }


def _worker(
    args: tuple[str, float, int, dict[str, str]],
) -> tuple[int, int, list[float], float]:
    """One process of the Python generator: ``threads`` connections in a loop."""
    url, duration, threads, headers = args
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.perf_counter() + duration  # threads start within milliseconds
    latencies: list[float] = []
    counts = {"done": 0, "bad": 0}
    lock = threading.Lock()

    def loop() -> None:
        mine: list[float] = []
        bad = 0
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["done"] += len(mine)
            counts["bad"] += bad

    began = time.perf_counter()
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return counts["done"], counts["bad"], latencies, time.perf_counter() - began


def _python(url: str, duration: float, headers: dict[str, str]) -> dict:
    processes = 2
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(
            _worker,
            [(url, duration, CONNECTIONS // processes, headers)] * processes,
            chunksize=1,
        )
    latencies = sorted(latency for r in results for latency in r[2])
    return {
        "rps": sum(r[0] / r[3] for r in results if r[3]),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "bad": sum(r[1] for r in results),
    }
