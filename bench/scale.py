"""List and search latency at 1,000 and at 100,000 products on PostgreSQL.

A scratch database ``bench_scale_<pid>`` on 127.0.0.1:5432 (user postgres),
migrated (with its GIN search index), demo catalogue grown by COPY, then
VACUUM ANALYZE. Each page is requested through the Flask test client: a few
warm-up requests, then the median of ``REQUESTS``. The database is dropped
afterwards. At the larger size each statement of a request is run again
under EXPLAIN ANALYZE, to show where the time goes.
"""

from __future__ import annotations

import os
import time

from bench.common import SEARCH_QUERY, counting_statements, grow_catalogue, log, median
from bench.common import scratch_app as make_app

SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
SIZES = (1_000, 100_000)
REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "40"))
WARMUP = 3
PATHS = {"list_ms": "/produk", "search_ms": f"/search?q={SEARCH_QUERY}"}


def _admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _latency(client, path: str) -> float:
    for _ in range(WARMUP):
        if client.get(path).status_code != 200:
            raise RuntimeError(f"{path} did not answer 200")
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return median(timings)


def _explain(app, client, path: str) -> list[dict]:
    """Each statement of one request with its server-side execution time, slowest first."""
    from sqlalchemy import text

    from marketplace.db import db

    with app.app_context():
        engine = db.engine
    with counting_statements(engine) as recorded:
        client.get(path)
    plans = []
    with engine.connect() as connection:
        for sql, parameters in recorded:
            row = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters
            ).scalar()
            plan = row[0]
            plans.append(
                {
                    "sql": " ".join(sql.split())[:140],
                    "ms": round(plan["Execution Time"], 2),
                    "top": _summary(plan["Plan"]),
                }
            )
        connection.execute(text("SELECT 1"))
    return sorted(plans, key=lambda p: -p["ms"])


def _summary(node: dict, depth: int = 0) -> str:
    """The plan's nodes, one short line each, to read in the report."""
    label = node["Node Type"]
    if "Relation Name" in node:
        label += f" on {node['Relation Name']}"
    if "Index Name" in node:
        label += f" using {node['Index Name']}"
    rows, ms = node.get("Actual Rows"), node.get("Actual Total Time")
    line = f"{'  ' * depth}{label} (rows {rows}, {ms} ms)"
    children = [_summary(child, depth + 1) for child in node.get("Plans", [])]
    return "\n".join([line, *children])


def run() -> tuple[dict, dict]:
    from marketplace.db import db

    name = f"bench_scale_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        app = make_app(f"{SERVER}/{name}", "scale")
        client = app.test_client()
        result: dict[str, list[float]] = {key: [] for key in PATHS}
        plans: dict[int, dict[str, list[dict]]] = {}
        for size in SIZES:
            started = time.perf_counter()
            with app.app_context():
                grow_catalogue(size)
                db.session.remove()
            log(f"scale: {size} products loaded in {time.perf_counter() - started:.1f} s")
            for key, path in PATHS.items():
                result[key].append(round(_latency(client, path), 2))
            plans[size] = {key: _explain(app, client, path) for key, path in PATHS.items()}
            log(f"scale: {size} products: " + ", ".join(f"{k} {v[-1]}" for k, v in result.items()))
        with app.app_context():
            db.engine.dispose()
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result, {"database": name, "requests": REQUESTS, "plans": plans}
