"""The markdown table beside latest.json: each figure next to its goal (never asserted)."""

from __future__ import annotations

import json

KB = 1000

#: Area 3 of the product's goals (issue 3). Printed beside the figures, not enforced.
GOALS = {
    "product_ratio": 0.5,
    "render_ratio": 0.25,
    "workers_scaling": 1.5,
    "queries_max": 8,
    "text_bytes": 30 * KB,
    "image_bytes": 150 * KB,
    "scale_ratio": 1.5,
    "photo_speedup": 3.0,
    "photo_640_bytes": 30 * KB,
    "photo_upload_bytes": 400 * KB,
    "checkout_oversold": 0,
    "checkout_errors_5xx": 0,
    "search_success_at_5": 0.95,
    "lighthouse_min": 0.98,
}


def kept_with(results: dict, notes: dict, path) -> tuple[dict, dict]:
    """This run's figures over the ones ``path`` holds: a run of some benchmarks replaces
    only their keys, and every benchmark keeps its own notes (when it was measured, the
    machine's load) in the file's ``notes``."""
    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError):
        earlier = {}
    ran = {name: notes[name] for name in results if name in notes}
    kept_notes = {**earlier.pop("notes", {}), **ran}
    merged = {**earlier, **results, "notes": kept_notes}
    run = {key: notes[key] for key in ("seconds", "load") if key in notes}
    return merged, {**kept_notes, **run}


def spliced(previous: str, report: str, ran: set[str]) -> str:
    """``report`` with the sections of the benchmarks not ``ran`` taken from ``previous``:
    their diagnostics (query plans, statements, ranges) live only in the markdown."""
    earlier = _sections(previous)[1]
    head, sections = _sections(report)
    kept = [text if name in ran else earlier.get(name, text) for name, text in sections.items()]
    return head + "".join(kept)


def _sections(text: str) -> tuple[str, dict[str, str]]:
    """The lines before the first ``## `` heading, and each section by benchmark name."""
    parts = text.split("\n## ")
    sections = {}
    for part in parts[1:]:
        name = part.split(":", 1)[0].strip()
        sections[name] = "\n## " + part
    return parts[0], sections


def _mark(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def _kb(value: int) -> str:
    return f"{value / KB:.1f} KB"


def markdown(results: dict, notes: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"- when: {results['when']}",
        f"- machine: {m['cpu_count']} CPUs, {m['cpu_model']}; Python {m['python']}; {m['kernel']}",
    ]
    if "load" in notes:
        start, end = notes["load"]
        lines.append(
            f"- last run: {notes.get('seconds', 0)} s; load average (1 min) at start {start}, "
            f"at end {end} (other work on a shared machine lowers every req/s figure; the "
            "ratios hold better; each section says when it was measured)"
        )
    lines.append("")
    for name, render in (
        ("pages", _pages),
        ("render", _render),
        ("queries", _queries),
        ("scale", _scale),
        ("weight", _weight),
        ("photo", _photo),
        ("checkout", _checkout),
        ("impact", _impact),
        ("workers", _workers),
        ("jobs", _jobs),
        ("faults", _faults),
        ("lane", _lane),
        ("payments", _payments),
        ("search_quality", _search_quality),
        ("lighthouse", _lighthouse),
        ("shipping", _shipping),
        ("signed_in", _signed_in),
    ):
        if name in results:
            note = notes.get(name, {})
            lines += render(results[name], note)
            if "when" in note:
                load = note.get("load_average") or ["?"]
                lines.append(
                    f"\nMeasured {note['when']}; load average at its end {load[0]} (its own "
                    "servers and load generator included)."
                )
            lines.append("")
    return "\n".join(lines)


def _pages(result: dict, note: dict) -> list[str]:
    return _throughput(
        "## pages: throughput next to bare Flask",
        result,
        note,
        lambda page, ratio: (
            f"≥ {GOALS['product_ratio']}: {_mark(ratio >= GOALS['product_ratio'])}"
            if page == "product"
            else ""
        ),
    )


def _render(result: dict, note: dict) -> list[str]:
    target = GOALS["render_ratio"]
    lines = _throughput(
        "## render: pages rendered (page cache off), next to bare Flask",
        result,
        note,
        lambda page, ratio: f"≥ {target}: {_mark(ratio >= target)}",
    )
    if "in_process" in result:
        lines += [
            "",
            "In-process CPU per request (test client, SQLite): as served above (warm), and for "
            "the first visitor after the catalogue changed (cold: nothing kept per version).",
            "",
            "| page | warm | cold |",
            "|---|---|---|",
        ]
        for page, row in result["in_process"].items():
            lines.append(f"| {page} | {row['warm_ms']} ms | {row['cold_ms']} ms |")
    return lines


def _throughput(title: str, result: dict, note: dict, goal_of) -> list[str]:
    ranges = note.get("rps_range", {})
    lines = [
        title,
        "",
        f"gunicorn `-w {note.get('workers')}` sync on loopback; {note.get('generator')} with "
        f"{note.get('connections')} connections, `Accept-Encoding: gzip`; "
        f"{note.get('rounds')} interleaved rounds of {note.get('round_seconds')} s, medians "
        "[min-max of rounds]; ratio taken within each round.",
        "",
        "| page | req/s | p50 | p99 | ratio to hello | goal |",
        "|---|---|---|---|---|---|",
    ]
    hello_range = ranges.get("hello", ["", ""])
    lines.append(
        f"| hello (bare Flask) | {result['hello_rps']:,.0f} [{hello_range[0]}-{hello_range[1]}] | "
        f"{note.get('hello_p50_ms', '')} ms | {note.get('hello_p99_ms', '')} ms | 1 | |"
    )
    for page in ("home", "list", "product", "search"):
        row = result[page]
        goal = goal_of(page, row["ratio_to_hello"])
        low, high = ranges.get(page, ["", ""])
        path = note.get("paths", {}).get(page, "")
        lines.append(
            f"| {page} `{path}` | {row['rps']:,.0f} [{low}-{high}] | {row['p50_ms']} ms | "
            f"{row['p99_ms']} ms | {row['ratio_to_hello']:.3f} | {goal} |"
        )
    if "hello_cpu_ms" in result:
        target = GOALS["render_ratio"]
        lines += [
            "",
            "The servers' own CPU time per request (gunicorn master and workers, from /proc), "
            "hello's over the page's within each round, and the requests per second "
            f"{note.get('workers')} workers could serve on otherwise idle cores (1000 ms × "
            "workers / CPU per request; the load generator's share not taken off). Both sides "
            f"are bound by CPU here: a page reaches the goal ({target} of hello) when its CPU "
            "per request is at most four times hello's.",
            "",
            "| page | CPU per request | CPU ratio to hello | CPU-bound req/s |",
            "|---|---|---|---|",
            f"| hello (bare Flask) | {result['hello_cpu_ms']} ms | 1 | |",
        ]
        for page in ("home", "list", "product", "search"):
            row = result[page]
            capacity = 1000 * (note.get("workers") or 1) / row["cpu_ms"] if row["cpu_ms"] else 0
            lines.append(
                f"| {page} | {row['cpu_ms']} ms | {row['cpu_ratio_to_hello']:.3f} | "
                f"{capacity:,.0f} |"
            )
    if any(note.get("bad", {}).values()):
        lines += ["", f"Errors or non-2xx answers under load: {note['bad']}"]
    return lines


def _queries(result: dict, note: dict) -> list[str]:
    lines = [
        "## queries: SQL statements per page (SQLite, anonymous visitor)",
        "",
        "| page | at 100 | at 20,000 | goal: equal and ≤ 8 |",
        "|---|---|---|---|",
    ]
    for page, (small, large) in result.items():
        ok = small == large and large <= GOALS["queries_max"]
        path = note.get("paths", {}).get(page, "")
        lines.append(f"| {page} `{path}` | {small} | {large} | {_mark(ok)} |")
    for page, statements in note.get("statements_at_largest", {}).items():
        lines += ["", f"Statements of `{page}` at 20,000 products:", ""]
        grouped: list[list] = []
        for sql in statements:
            if grouped and grouped[-1][1] == sql:
                grouped[-1][0] += 1
            else:
                grouped.append([1, sql])
        lines += [f"- {n}× `{sql}`" for n, sql in grouped]
    return lines


def _scale(result: dict, note: dict) -> list[str]:
    lines = [
        "## scale: latency on PostgreSQL (median of "
        f"{note.get('requests')} requests through the test client)",
        "",
        "| page | at 1,000 | at 100,000 | ratio | goal ≤ 1.5× |",
        "|---|---|---|---|---|",
    ]
    for key, (small, large) in result.items():
        ratio = large / small if small else 0
        lines.append(
            f"| {key.removesuffix('_ms')} | {small} ms | {large} ms | {ratio:.2f}× | "
            f"{_mark(ratio <= GOALS['scale_ratio'])} |"
        )
    plans = note.get("plans", {})
    if plans:
        largest = max(plans)
        smallest = min(plans)
        for key in result:
            lines += [
                "",
                f"Slowest statements of `{key.removesuffix('_ms')}` at {largest:,} products "
                f"(EXPLAIN ANALYZE execution time; at {smallest:,} in brackets):",
                "",
            ]
            before = {p["sql"]: p["ms"] for p in plans[smallest][key]}
            for plan in plans[largest][key][:3]:
                lines.append(
                    f"- {plan['ms']} ms [{before.get(plan['sql'], '?')} ms] `{plan['sql']}`"
                )
            top = plans[largest][key][0]
            lines += ["", "```", top["top"], "```"]
    return lines


def _weight(result: dict, note: dict) -> list[str]:
    lines = [
        "## weight: bytes per page on a phone",
        "",
        "Chromium headless, 412x823 at DPR 1.75; HTML/CSS/JS as sent to a client accepting "
        "gzip; images whose box meets the first screen, at the variant the browser chose. "
        "1 KB = 1,000 bytes.",
        "",
        "| page | HTML | CSS | JS | HTML+CSS+JS | goal ≤ 30 KB | first-screen images "
        "| goal ≤ 150 KB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for page, row in result.items():
        text = row["html_gz"] + row["css_gz"] + row["js_gz"]
        images = row["first_screen_images"]
        lines.append(
            f"| {page} | {_kb(row['html_gz'])} | {_kb(row['css_gz'])} | {_kb(row['js_gz'])} | "
            f"{_kb(text)} | {_mark(text <= GOALS['text_bytes'])} | {_kb(images)} | "
            f"{_mark(images <= GOALS['image_bytes'])} |"
        )
    pages = note.get("pages", {})
    uncompressed = sorted({url for p in pages.values() for url in p.get("uncompressed", [])})
    if uncompressed:
        lines += ["", "Sent without compression although gzip was accepted:", ""]
        lines += [f"- `{url.split('/', 3)[-1]}`" for url in uncompressed]
    if pages:
        lines += ["", "First-screen images (variant file, bytes):", ""]
        for page, p in pages.items():
            lines.append(f"- {page}: {', '.join(p['first_screen']) or 'none'}")
    return lines


def _photo(result: dict, note: dict) -> list[str]:
    variants = ", ".join(f"{w} px {_kb(b)}" for w, b in result["variant_bytes"].items())
    speedup, small = result["speedup"], result["variant_bytes"].get("640", 0)
    upload = result["upload_bytes"]
    return [
        "## photo: one 12-megapixel JPEG into WebP variants",
        "",
        f"Original {_kb(note.get('original_bytes', 0))}; minimum of {note.get('rounds')} "
        "interleaved runs each.",
        "",
        "| figure | value | goal |",
        "|---|---|---|",
        f"| pipeline (the upload request's part and the variants job) | "
        f"{result['pipeline_ms']} ms | |",
        f"| of which the upload request (checked, cleaned, source and 320 px) | "
        f"{result.get('request_ms', '-')} ms | |",
        f"| naive (full decode, each size from the full image) | {result['naive_ms']} ms | |",
        f"| speedup | {speedup}x | ≥ 3x: {_mark(speedup >= GOALS['photo_speedup'])} |",
        f"| variants | {variants} | 640 px < 30 KB: "
        f"{_mark(0 < small < GOALS['photo_640_bytes'])} |",
        f"| bytes a phone uploads (shrunk in the browser) | {_kb(upload)} | < 400 KB: "
        f"{_mark(upload < GOALS['photo_upload_bytes'])} |",
    ]


def _checkout(result: dict, note: dict) -> list[str]:
    oversold, errors = result["oversold"], result["errors_5xx"]
    return [
        "## checkout: buyers racing for the last units (PostgreSQL, over HTTP)",
        "",
        f"{result['buyers']} buyers, each its own cookie session, one unit each of a product "
        f"with {result['units']} in stock; all submit the checkout at once. gunicorn "
        f"`-w {note.get('workers')}` sync on loopback. Answers: {note.get('statuses', {})}; "
        f"checkout latency p50 {note.get('p50_ms')} ms, p99 {note.get('p99_ms')} ms; "
        f"stock left {note.get('stock_left')}.",
        "",
        "| figure | value | goal |",
        "|---|---|---|",
        f"| units sold (order lines in the database) | {result['sold']} of {result['units']} | "
        f"all: {_mark(result['sold'] == result['units'])} |",
        f"| oversold | {oversold} | 0: {_mark(oversold == GOALS['checkout_oversold'])} |",
        f"| 5xx answers | {errors} | 0: {_mark(errors == GOALS['checkout_errors_5xx'])} |",
        f"| checkouts answered per second (an order or sold out) | {result['checkouts_per_s']} | |",
    ]


def _impact(result: dict, note: dict) -> list[str]:
    period = note.get("period", ["?", "?"])
    lines = [
        "## impact: the PKK impact report (PostgreSQL)",
        "",
        f"{result['households']:,} households, {result['products']:,} products, "
        f"{result['status_changes']:,} status changes, {result['training_attendances']:,} "
        f"training attendances, {result['packaging_helps']:,} packaging helps, "
        f"{result['capital_assistances']:,} capital assistances, "
        f"{result.get('order_parts', 0):,} paid order parts "
        f"({result.get('government_orders', 0):,} from government quotations); period "
        f"{period[0]} to {period[1]}, the whole province. Median of {note.get('runs')} runs.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| `impact_report()` (the service: {note.get('statements')} statements) | "
        f"{result['report_ms']} ms |",
        f"| `/pkk/laporan` (the whole page, signed in as a reviewer) | {result['page_ms']} ms |",
    ]
    slowest = note.get("slowest", [])
    if slowest:
        lines += [
            "",
            f"The statements take {note.get('sql_ms')} ms in the database (EXPLAIN ANALYZE); "
            "the rest is Python turning the rows into figures. Slowest statements:",
            "",
        ]
        lines += [f"- {plan['ms']} ms `{plan['sql']}`" for plan in slowest]
        lines += ["", "```", slowest[0]["top"], "```"]
    return lines


def _workers(result: dict, note: dict) -> list[str]:
    lines = [
        "## workers: the product page by gunicorn worker count (PostgreSQL)",
        "",
        f"`{note.get('path')}` as deployed (page cache on), next to bare Flask under the same "
        f"settings; {note.get('generator')} with {note.get('connections')} connections, "
        f"{note.get('rounds')} interleaved rounds of {note.get('round_seconds')} s, medians.",
        "",
        "| workers | product req/s | p50 | p99 | hello req/s | ratio to hello |",
        "|---|---|---|---|---|---|",
    ]
    for count, rps in result["rps"].items():
        lines.append(
            f"| {count} | {rps:,.0f} | {result['p50_ms'][count]} ms | {result['p99_ms'][count]} ms "
            f"| {result['hello_rps'][count]:,.0f} | {result['ratio_to_hello'][count]:.3f} |"
        )
    rendered = result.get("rendered")
    if rendered:
        lines += [
            "",
            "The same page rendered (page cache off, what a signed-in visitor gets):",
            "",
            "| workers | rendered req/s | p50 | p99 | ratio to hello | wrk CPU (cores) |",
            "|---|---|---|---|---|---|",
        ]
        for count, rps in rendered["rps"].items():
            cpu = result.get("wrk_cpu", {}).get(count, {}).get("rendered", "")
            lines.append(
                f"| {count} | {rps:,.0f} | {rendered['p50_ms'][count]} ms | "
                f"{rendered['p99_ms'][count]} ms | "
                f"{rendered['ratio_to_hello'][count]:.3f} | {cpu} |"
            )
    scaling = result.get("scaling")
    if scaling:
        target = GOALS["workers_scaling"]
        lines += [
            "",
            "2 workers over 1: "
            + ", ".join(
                f"{name} {value:.2f}"
                + (f" (≥ {target}: {_mark(value >= target)})" if name != "hello" else "")
                for name, value in scaling.items()
            )
            + ". wrk's own CPU (cores) by count: "
            + "; ".join(
                f"-w {count}: " + ", ".join(f"{t} {v}" for t, v in per.items())
                for count, per in result.get("wrk_cpu", {}).items()
            ),
        ]
    if any(note.get("bad", {}).values()):
        lines += ["", f"Errors or non-2xx answers under load: {note['bad']}"]
    return lines


def _jobs(result: dict, note: dict) -> list[str]:
    lines = [
        "## jobs: jobs per second, inline and queued to Redis (RQ)",
        "",
        f"{note.get('jobs_per_run')} jobs released by one commit, median of {note.get('runs')} "
        "runs; queued: from the commit to the last job finished by `flask jobs worker` "
        "processes (RQ's SimpleWorker: each job in the worker's own process). The "
        "committing process hands jobs to "
        f"Redis at {note.get('enqueue_per_s', {})} per second.",
        "",
        "| job | inline | Redis, 1 worker | Redis, 2 workers |",
        "|---|---|---|---|",
    ]
    for kind, row in result.items():
        redis = row.get("redis", {})
        lines.append(
            f"| {kind} | {row['inline']:,} | {redis.get('1', 0):,} | {redis.get('2', 0):,} |"
        )
    return lines


def _faults(result: dict, note: dict) -> list[str]:
    idle, alone = result["served_while_idle_conns_rps"], result["served_alone_rps"]
    return [
        "## faults: a visitor's product page while idle connections are held",
        "",
        f"gunicorn.conf.py, `-w {note.get('workers')}` sync, straight and behind nginx "
        f"(deploy/nginx.conf); {note.get('generator')} with {note.get('connections')} "
        f"connections on `{note.get('path')}`, median of {note.get('rounds')} rounds of "
        f"{note.get('round_seconds')} s, with {result['idle_conns']:,} sockets held open that "
        f"send nothing. Errors and timeouts: {note.get('bad', {})}.",
        "",
        "| | alone req/s | while idle connections are held req/s |",
        "|---|---|---|",
        f"| behind nginx | {alone['nginx']:,} | {idle['nginx']:,} |",
        f"| gunicorn straight | {alone['direct']:,} | {idle['direct']:,} |",
    ]


def _lane(result: dict, note: dict) -> list[str]:
    lines = [
        "## lane: cached anonymous pages on PostgreSQL, catalogue version pushed or read",
        "",
        f"gunicorn `-w 2` sync, demo catalogue; {note.get('rounds')} interleaved rounds of "
        f"{note.get('round_seconds')} s; bare Flask {result['hello_rps']:,.0f}/s. Pushed: "
        "LISTEN/NOTIFY (`PAGE_CACHE_PUSH`, the default); read: a query on each hit. Errors: "
        f"{note.get('bad')}.",
        "",
        "| page | pushed req/s | ratio | read req/s | ratio |",
        "|---|---|---|---|---|",
    ]
    for page, ways in result.items():
        if page == "hello_rps":
            continue
        pushed, read = ways["pushed"], ways["read"]
        lines.append(
            f"| {page} | {pushed['rps']:,.0f} | {pushed['ratio_to_hello']} | "
            f"{read['rps']:,.0f} | {read['ratio_to_hello']} |"
        )
    return lines


def _payments(result: dict, note: dict) -> list[str]:
    shown = note.get("shown", {})
    lines = [
        '## payments: from "Bayar" to what the buyer pays with',
        "",
        f"Median and 90th percentile of {note.get('runs')} runs each, interleaved: the POST of "
        "the choice (the app calls the provider through its client library) and the page it "
        "leads to, against tests/midtrans_server and tests/stripe_server on loopback. "
        "`card` (Stripe Checkout) is today's path, the reference.",
        "",
        "| method | shown | median | p90 |",
        "|---|---|---|---|",
    ]
    for method in result.get("methods", []):
        row = result[method]
        lines.append(
            f"| {method} | {shown.get(method, '')} | {row['median_ms']} ms | {row['p90_ms']} ms |"
        )
    return lines


def _search_quality(result: dict, note: dict) -> list[str]:
    lines = [
        f"## search_quality: {result['queries']} queries as buyers type them "
        "(demo catalogue), today's search next to the tolerant one",
        "",
        "| database | success@5 today | success@5 new | goal ≥ 0.95 | recall@10 today "
        "| recall@10 new | found lower than today |",
        "|---|---|---|---|---|---|---|",
    ]
    for database in ("sqlite", "postgresql"):
        if database not in result:
            continue
        today, new = result[database]["today"], result[database]["new"]
        lower = result[database]["found_lower"]
        lines.append(
            f"| {database} | {today['success_at_5']} | {new['success_at_5']} | "
            f"{_mark(new['success_at_5'] >= GOALS['search_success_at_5'])} | "
            f"{today['recall_at_10']} | {new['recall_at_10']} | {len(lower)} "
            f"({_mark(not lower)}) |"
        )
    for database in ("sqlite", "postgresql"):
        if database not in result:
            continue
        new = result[database]["new"]
        lines += [
            "",
            f"By kind ({database}, new): "
            + ", ".join(
                f"{kind} {figures['success_at_5']}/{figures['recall_at_10']} ({figures['queries']})"
                for kind, figures in new["by_kind"].items()
            ),
        ]
        if new["failures"]:
            lines.append(f"Not in the first five ({database}): " + ", ".join(new["failures"]))
        if result[database]["found_lower"]:
            lines.append("Lower than today: " + "; ".join(result[database]["found_lower"]))
    timing = result.get("latency")
    if timing:
        lines += [
            "",
            f"Latency on PostgreSQL (median of {note.get('requests')} requests, whole page; "
            "the two sizes in databases of their own, asked in turn request by request):",
            "",
            "| query | today 1k | today 100k | new 1k | new 100k | new ratio | goal ≤ 1.5× |",
            "|---|---|---|---|---|---|---|",
        ]
        for query, (small, large) in timing["new_ms"].items():
            was = timing["today_ms"][query]
            ratio = large / small if small else 0
            lines.append(
                f"| {query} | {was[0]} ms | {was[1]} ms | {small} ms | {large} ms | "
                f"{ratio:.2f}× | {_mark(ratio <= GOALS['scale_ratio'])} |"
            )
        lines.append("")
        for suffix, how in (
            ("", "as deployed (page store)"),
            ("_uncached", "worked out each time"),
        ):
            p50 = timing.get(f"suggest{suffix}_p50_ms")
            p99 = timing.get(f"suggest{suffix}_p99_ms")
            if p50 and p99:
                lines.append(
                    f"Suggestions (`/search/saran`), {how}: p50 {p50[0]} ms / p99 {p99[0]} ms "
                    f"at 1,000; p50 {p50[1]} ms / p99 {p99[1]} ms at 100,000."
                )
        if timing.get("vocabulary_ms"):
            small, large = timing["vocabulary_ms"]
            lines.append(
                f"Reading the typo vocabulary (`search_words`, at most once a minute per process "
                f"after a change): {small} ms at 1,000, {large} ms at 100,000."
            )
    return lines


def _lighthouse(result: dict, note: dict) -> list[str]:
    categories = ("performance", "accessibility", "best-practices", "seo")
    lines = [
        "## lighthouse: mobile scores (Slow 4G, 4x CPU, simulated)",
        "",
        "npm's Lighthouse driving Debian's Chromium; each score the median of its runs "
        f"(0-1); goal ≥ {GOALS['lighthouse_min']} in each.",
        "",
        "| page | " + " | ".join(categories) + " | LCP ms | KB | CPU index | load |",
        "|---|" + "---|" * (len(categories) + 4),
    ]
    pages = note.get("pages", {})
    for page, scores in result.items():
        p = pages.get(page, {})
        marks = [
            f"{scores[c]:.2f}" + ("" if scores[c] >= GOALS["lighthouse_min"] else " **MISSED**")
            for c in categories
        ]
        lcp = "/".join(str(v) for v in p.get("lcp_ms", []))
        size = "/".join(f"{v / KB:.0f}" for v in p.get("bytes", []))
        index = "/".join(f"{v:.0f}" for v in p.get("benchmark_index", []))
        lines.append(
            f"| {page} | {' | '.join(marks)} | {lcp} | {size} | {index} | {p.get('load', '')} |"
        )
    lost = {page: p["lost"] for page, p in pages.items() if p.get("lost")}
    if lost:
        lines += ["", "Audits that lost points in some run:", ""]
        for page, audits in lost.items():
            lines.append(f"- {page}: {'; '.join(audits)}")
    return lines


def _shipping(result: dict, note: dict) -> list[str]:
    lines = [
        '## shipping: "Hitung ongkir" for 3 households, live couriers next to the zone table',
        "",
        f"Median and 90th percentile of {note.get('runs')} runs, interleaved, against "
        f"tests/biteship_server answering each rate request after "
        f"{result.get('rate_latency_ms')} ms. `zone` is today's table (the reference); "
        "`live_first` asks a destination not asked before (3 requests in parallel: asked one "
        f"after another they could not take less than {result.get('sequential_floor_ms')} ms); "
        "`live_cached` repeats it from the in-process cache.",
        "",
        "| checkout | median | p90 |",
        "|---|---|---|",
    ]
    for kind in ("zone", "live_first", "live_cached"):
        row = result.get(kind)
        if row:
            lines.append(f"| {kind} | {row['median_ms']} ms | {row['p90_ms']} ms |")
    return lines


def _signed_in(result: dict, note: dict) -> list[str]:
    ranges = note.get("rps_range", {})
    lines = [
        "## signed_in: every signed-in page at a household's scale, next to bare Flask",
        "",
        f"Data set: {note.get('data_set')}. gunicorn `-w {note.get('workers')}` sync on "
        f"loopback; {note.get('generator')} with {note.get('connections')} connections and the "
        f"role's session cookie; {note.get('rounds')} interleaved rounds of "
        f"{note.get('round_seconds')} s, medians [min-max of rounds]; ratio within each round.",
        "",
        "| page | req/s | p50 | p99 | ratio to hello | CPU per request | CPU ratio to hello "
        "| CPU over the empty page | SQL statements | goal ≥ 0.2 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    hello_range = ranges.get("hello", ["", ""])
    lines.append(
        f"| hello (bare Flask) | {result['hello_rps']:,.0f} [{hello_range[0]}-{hello_range[1]}]"
        f" | | | 1 | {result.get('hello_cpu_ms', '')} ms | 1 | | | |"
    )
    for page, row in result.items():
        if not isinstance(row, dict):
            continue
        low, high = ranges.get(page, ["", ""])
        path = note.get("paths", {}).get(page, "")
        cpu = f"{row['cpu_ms']} ms" if "cpu_ms" in row else ""
        lines.append(
            f"| {page} `{path}` | {row['rps']:,.0f} [{low}-{high}] | {row['p50_ms']} ms | "
            f"{row['p99_ms']} ms | {row['ratio_to_hello']:.3f} | {cpu} | "
            f"{row.get('cpu_ratio_to_hello', '')} | "
            f"{1 if page == 'empty_page' else row.get('cpu_to_empty_page', '')} | "
            f"{row.get('statements', '')} | "
            f"{'ceiling' if page == 'empty_page' else _mark(row['ratio_to_hello'] >= 0.2)} |"
        )
    return lines
