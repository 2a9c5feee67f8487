"""Running some benchmarks keeps the figures of the others (bench/report.kept_with)."""

from __future__ import annotations

import json

from bench.report import kept_with, markdown

MACHINE = {"cpu_count": 2, "cpu_model": "x", "python": "3.11", "kernel": "6"}


def test_a_run_of_one_benchmark_replaces_only_its_key(tmp_path):
    path = tmp_path / "latest.json"
    earlier = {
        "machine": MACHINE,
        "when": "2026-12-01T10:00:00+00:00",
        "workers": {"scaling": {"cached": 1.4}},
        "lane": {"home": 1.1},
        "notes": {"workers": {"when": "2026-12-01T10:00:00+00:00", "load_average": [3.0]}},
    }
    path.write_text(json.dumps(earlier))
    now = {"machine": MACHINE, "when": "2026-12-06T18:00:00+00:00", "workers": {"scaling": {}}}
    note = {"workers": {"when": "2026-12-06T18:00:00+00:00", "load_average": [0.2]}}

    results, notes = kept_with(now, {**note, "seconds": 9.0, "load": [0.2, 0.3]}, path)

    assert results["lane"] == {"home": 1.1}  # not run: kept
    assert results["workers"] == {"scaling": {}}  # run: replaced
    assert results["when"] == "2026-12-06T18:00:00+00:00"
    assert results["notes"]["workers"]["load_average"] == [0.2]
    assert notes["seconds"] == 9.0


def test_a_first_run_writes_what_it_measured(tmp_path):
    results, _ = kept_with(
        {"machine": MACHINE, "when": "t", "lane": {}}, {"lane": {}}, tmp_path / "none.json"
    )
    assert results == {"machine": MACHINE, "when": "t", "lane": {}, "notes": {"lane": {}}}


def test_the_report_says_when_each_benchmark_was_measured():
    page = {"rps": 1.0, "p50_ms": 1, "p99_ms": 2, "ratio_to_hello": 0.5}
    page.update(cpu_ms=1.0, cpu_ratio_to_hello=0.4)
    render = {"hello_rps": 2.0, "hello_cpu_ms": 0.4}
    render.update({name: page for name in ("home", "list", "product", "search")})
    results = {"machine": MACHINE, "when": "t", "render": render}
    notes = {"render": {"when": "2026-12-06T18:00:00+00:00", "load_average": [0.26, 0.1, 0.0]}}
    report = markdown(results, notes)
    assert "Measured 2026-12-06T18:00:00+00:00; load average at its end 0.26" in report


def test_the_markdown_keeps_the_sections_of_the_benchmarks_not_run():
    from bench.report import spliced

    previous = (
        "# Benchmark results\n- when: old\n\n## lane: x\nplans kept\n\n## workers: y\nold table\n"
    )
    report = "# Benchmark results\n- when: new\n\n## lane: x\n\n## workers: y\nnew table\n"
    merged = spliced(previous, report, {"workers"})
    assert merged.startswith("# Benchmark results\n- when: new\n")
    assert "## lane: x\nplans kept\n" in merged and "## workers: y\nnew table\n" in merged
    assert "old table" not in merged


def test_sampled_shares_count_a_functions_time_once_per_request_stack(tmp_path):
    """``bench.sample_signed_in.shares`` reads py-spy's collapsed stacks: the samples in a
    request (from the worker's ``handle``), each function once per stack it is on."""
    from bench.sample_signed_in import shares

    raw = tmp_path / "stacks.txt"
    head = 'process 1:"gunicorn";Arbiter.run (arbiter.py:1);SyncWorker.handle (sync.py:2)'
    raw.write_text(
        f"{head};wsgi_app (app.py:3);escape (m.py:4);escape (m.py:4) 6\n"
        f"{head};wsgi_app (app.py:3);compress (gzip.py:5) 3\n"
        f"{head};Logger.access (glogging.py:6) 1\n"
        'process 1:"gunicorn";Arbiter.run (arbiter.py:1);SyncWorker.accept (sync.py:7) 50\n'
        "a line py-spy cut (no count)\n"
    )
    total, found = shares(raw, own_time=False)
    assert total == 10  # the idle worker's 50 samples are not a request's
    assert found["wsgi_app"] == 9 and found["escape"] == 6 and found["SyncWorker.handle"] == 10
    assert "Arbiter.run" not in found
    total, own = shares(raw, own_time=True)
    assert (total, own["escape"], own["compress"], own["wsgi_app"]) == (10, 6, 3, 0)


def test_each_signed_in_page_is_also_weighed_against_the_empty_page():
    """``cpu_to_empty_page``: a page's CPU per request over the empty page's, in the results
    and in the report's table (the empty page itself 1); a page measured without CPU has
    none."""
    from bench.report import _signed_in
    from bench.signed_in import EMPTY_PAGE, with_shell_share

    def row(cpu):
        figures = {"rps": 500.0, "p50_ms": 20.0, "p99_ms": 40.0, "ratio_to_hello": 0.2}
        return {**figures, "cpu_ms": cpu} if cpu else figures

    result = {"hello_rps": 2500.0, "hello_cpu_ms": 0.4, EMPTY_PAGE: row(1.6)}
    result.update(cart=row(2.88), part=row(2.4), quiet=row(None))
    with_shell_share(result, ["cart", "part", "quiet"])
    assert result["cart"]["cpu_to_empty_page"] == 1.8
    assert result["part"]["cpu_to_empty_page"] == 1.5
    assert "cpu_to_empty_page" not in result["quiet"]
    table = {line.split(" ")[1]: line.split(" | ") for line in _signed_in(result, {})[7:]}
    assert table["cart"][7] == "1.8" and table[EMPTY_PAGE][7] == "1"
