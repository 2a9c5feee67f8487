"""``python -m bench [name ...]``: run the benchmarks, write results/latest.json and .md."""

from __future__ import annotations

import os
import sys

from bench.common import SECRET_KEY, scratch

# Before the app is imported: nothing may touch the project's own instance/ folder.
os.environ["INSTANCE_PATH"] = str(scratch() / "instance")
os.environ["SECRET_KEY"] = SECRET_KEY
os.environ.pop("DATABASE_URL", None)

import importlib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

from bench.common import RESULTS, log, machine, now_iso  # noqa: E402
from bench.report import kept_with, markdown, spliced  # noqa: E402

BENCHMARKS = (
    "pages",
    "render",
    "queries",
    "scale",
    "weight",
    "photo",
    "checkout",
    "impact",
    "workers",
    "jobs",
    "faults",
    "lane",
    "payments",
    "search_quality",
    "lighthouse",
    "shipping",
    "signed_in",
)


def main(argv: list[str]) -> int:
    names = [name for arg in argv for name in arg.replace(",", " ").split()] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    results: dict = {"machine": machine(), "when": now_iso()}
    notes: dict = {}
    started = time.perf_counter()
    load_at_start = round(os.getloadavg()[0], 2)
    failed = []
    try:
        for name in names:
            log(f"--- {name}")
            began = time.perf_counter()
            try:
                module = importlib.import_module(f"bench.{name}")
                results[name], notes[name] = module.run()
                notes[name]["when"] = now_iso()
                notes[name]["load_average"] = notes[name].get("load_average") or [
                    round(x, 2) for x in os.getloadavg()
                ]
            except Exception as error:  # noqa: BLE001 (one broken benchmark must not hide the rest)
                traceback.print_exc()
                log(f"{name} FAILED: {type(error).__name__}: {error}")
                failed.append(name)
                continue
            notes[name]["seconds"] = round(time.perf_counter() - began, 1)
    finally:
        shutil.rmtree(scratch(), ignore_errors=True)
    notes["seconds"] = round(time.perf_counter() - started, 1)
    notes["load"] = [load_at_start, round(os.getloadavg()[0], 2)]
    ran = set(names) - set(failed)
    results, notes = kept_with(results, notes, RESULTS / "latest.json")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    previous = RESULTS / "latest.md"
    report = markdown(results, notes)
    if previous.exists():
        report = spliced(previous.read_text(), report, ran)
    (RESULTS / "latest.md").write_text(report)
    print(report)
    log(f"wrote {RESULTS / 'latest.json'} and latest.md in {notes['seconds']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
