"""Search quality on the project's own query set, today's search next to the tolerant one.

``bench/data/search_queries.tsv`` holds queries as buyers type them (misspellings,
regional and everyday spellings, English, affixes, reduplication, several words), each
with the demo products it should find. On SQLite and on PostgreSQL, each with the demo
catalogue exactly as ``flask demo load`` makes it, every query is asked through the
Flask test client twice in the same run: with ``SEARCH_TOLERANT`` off (today's search:
the words as typed, as prefixes) and on. Then, on two PostgreSQL databases grown to
1,000 and to 100,000 products (``grow_catalogue``, as ``scale`` does), the median latency
of a few queries of each kind, both ways, and the p50/p99 of the suggestion endpoint: the
two sizes asked in turn, request by request, so that a busy machine slows both alike.
"""

from __future__ import annotations

import html as htmllib
import os
import re
import time
from pathlib import Path

from bench.common import grow_catalogue, log, median, percentile, scratch
from bench.common import scratch_app as make_app

QUERIES = Path(__file__).resolve().parent / "data" / "search_queries.tsv"
SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
SIZES = (1_000, 100_000)
REQUESTS = int(os.environ.get("BENCH_SEARCH_REQUESTS", "30"))
#: The queries timed at each size: one of each kind.
TIMED = ("amplang", "ampalng", "krupuk", "kripik pisang", "crab", "madu klulut kecil")
#: What a buyer types into the box, letter by letter, for the suggestion endpoint.
TYPED = ("am", "amp", "ampl", "ma", "mad", "ro", "rot", "ke", "ker", "cr", "cra", "ko", "kop")
CARD = re.compile(r'<span class="card-name">([^<]+)</span>')
NOTHING_FOUND = '<p class="empty">'


def load_queries(path: Path = QUERIES) -> list[tuple[str, str, list[str]]]:
    """(query, kind, expected product names) of each line that is not a comment."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, kind, expected = line.split("\t")
        rows.append((query, kind, [name.strip() for name in expected.split("|")]))
    return rows


def ranked(client, query: str) -> list[str]:
    """The names of the result cards on the first page, in order (a page that found
    nothing shows other products after its "no match" line: those are not results)."""
    response = client.get("/search", query_string={"q": query})
    if response.status_code != 200:
        raise RuntimeError(f"/search?q={query} answered {response.status_code}")
    page = response.get_data(as_text=True).split(NOTHING_FOUND, 1)[0]
    return [htmllib.unescape(name) for name in CARD.findall(page)]


def quality(app, queries, tolerant: bool) -> dict:
    """success@5, recall@10 (overall and by kind) and each expected product's position."""
    app.config["SEARCH_TOLERANT"] = tolerant
    client = app.test_client()
    per_kind: dict[str, list[tuple[float, float]]] = {}
    positions: dict[tuple[str, str], int | None] = {}
    failures = []
    for query, kind, expected in queries:
        names = ranked(client, query)
        success = 1.0 if any(name in names[:5] for name in expected) else 0.0
        recall = sum(1 for name in expected if name in names[:10]) / len(expected)
        per_kind.setdefault(kind, []).append((success, recall))
        for name in expected:
            positions[(query, name)] = names.index(name) if name in names else None
        if not success:
            failures.append(query)
    everything = [pair for pairs in per_kind.values() for pair in pairs]
    return {
        "success_at_5": round(sum(s for s, _ in everything) / len(everything), 3),
        "recall_at_10": round(sum(r for _, r in everything) / len(everything), 3),
        "by_kind": {
            kind: {
                "queries": len(pairs),
                "success_at_5": round(sum(s for s, _ in pairs) / len(pairs), 3),
                "recall_at_10": round(sum(r for _, r in pairs) / len(pairs), 3),
            }
            for kind, pairs in sorted(per_kind.items())
        },
        "failures": failures,
        "positions": positions,
    }


def compare(app, queries) -> dict:
    """Both searches on one app, and the products today's finds that the new one ranks lower."""
    today = quality(app, queries, tolerant=False)
    new = quality(app, queries, tolerant=True)
    lower = [
        f"{query}: {name} {was + 1} -> {'-' if now is None else now + 1}"
        for (query, name), was in today.pop("positions").items()
        if was is not None and ((now := new["positions"][(query, name)]) is None or now > was)
    ]
    new.pop("positions")
    return {"today": today, "new": new, "found_lower": lower}


def _side_by_side(clients: dict, path: str) -> dict[int, list[float]]:
    """Each size's timings of ``path``, the sizes asked in turn request by request, so a
    machine busy with something else slows both alike."""
    for client in clients.values():
        for _ in range(3):
            if client.get(path).status_code not in (200, 304):
                raise RuntimeError(f"{path} did not answer")
    timings: dict[int, list[float]] = {size: [] for size in clients}
    for _ in range(REQUESTS):
        for size, client in clients.items():
            started = time.perf_counter()
            client.get(path)
            timings[size].append((time.perf_counter() - started) * 1000)
    return {size: sorted(values) for size, values in timings.items()}


def latency(apps: dict) -> dict:
    """Median search latency (both ways) and the suggestion endpoint's p50/p99 at each size
    (``apps``: size -> app, its own database already grown to that size)."""
    from marketplace.catalog.lexicon import read_vocabulary
    from marketplace.db import db

    clients = {size: app.test_client() for size, app in apps.items()}
    result: dict = {
        "today_ms": {},
        "new_ms": {},
        "vocabulary_ms": [],
    }
    for app in apps.values():
        with app.app_context():
            # Reading the vocabulary again (at most once a minute, after a catalogue change).
            timings = []
            for _ in range(3):
                began = time.perf_counter()
                read_vocabulary()
                timings.append((time.perf_counter() - began) * 1000)
            result["vocabulary_ms"].append(round(median(timings), 1))
            db.session.remove()

    def configure(**settings) -> None:
        for app in apps.values():
            app.config.update(settings)

    for key, tolerant in (("today_ms", False), ("new_ms", True)):
        configure(SEARCH_TOLERANT=tolerant)
        for query in TIMED:
            path = f"/search?q={query.replace(' ', '+')}"
            timed = _side_by_side(clients, path)
            result[key][query] = [round(median(timed[size]), 2) for size in apps]
    configure(SEARCH_TOLERANT=True)
    for cached, suffix in ((False, "_uncached"), (True, "")):
        # Uncached: every answer worked out; cached: as deployed, from the page store.
        configure(PAGE_CACHE=cached)
        timings: dict[int, list[float]] = {size: [] for size in apps}
        for q in TYPED:
            for size, values in _side_by_side(clients, f"/search/saran?q={q}").items():
                timings[size].extend(values)
        for size in apps:
            values = sorted(timings[size])
            for name, share in (("p50", 0.5), ("p99", 0.99)):
                result.setdefault(f"suggest{suffix}_{name}_ms", []).append(
                    round(percentile(values, share), 2)
                )
    configure(PAGE_CACHE=False)
    return result


def _grown(url: str, name: str, size: int):
    """A scratch app on ``url`` with the demo catalogue grown to ``size`` products."""
    from marketplace.db import db

    app = make_app(url, name)
    started = time.perf_counter()
    with app.app_context():
        grow_catalogue(size)
        db.session.commit()
        db.session.remove()
    log(f"search_quality: {size} products loaded in {time.perf_counter() - started:.1f} s")
    return app


def _admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def run() -> tuple[dict, dict]:
    from marketplace.db import db

    queries = load_queries()
    result: dict = {"queries": len(queries)}
    sqlite = make_app(f"sqlite:///{scratch() / 'search_quality.db'}", "search_quality")
    result["sqlite"] = compare(sqlite, queries)
    log("search_quality: sqlite " + _line(result["sqlite"]))
    names = {size: f"bench_search_{os.getpid()}_{size}" for size in SIZES}
    for name in names.values():
        _admin(f'DROP DATABASE IF EXISTS "{name}"')
        _admin(f'CREATE DATABASE "{name}"')
    apps = {}
    try:
        # The quality on the demo catalogue as it is, before the first database grows.
        app = make_app(f"{SERVER}/{names[SIZES[0]]}", "search_quality_pg")
        result["postgresql"] = compare(app, queries)
        log("search_quality: postgresql " + _line(result["postgresql"]))
        with app.app_context():
            grow_catalogue(SIZES[0])
            db.session.commit()
            db.session.remove()
        apps[SIZES[0]] = app
        for size in SIZES[1:]:
            apps[size] = _grown(f"{SERVER}/{names[size]}", f"search_quality_pg_{size}", size)
        result["latency"] = latency(apps)
    finally:
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
        for name in names.values():
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return result, {
        "databases": list(names.values()),
        "requests": REQUESTS,
        "timed": TIMED,
        "typed": TYPED,
    }


def _line(compared: dict) -> str:
    today, new = compared["today"], compared["new"]
    return (
        f"success@5 {today['success_at_5']} -> {new['success_at_5']}, "
        f"recall@10 {today['recall_at_10']} -> {new['recall_at_10']}, "
        f"found lower {len(compared['found_lower'])}"
    )
