"""Lighthouse's mobile scores for the main pages and the listing form.

npm's ``lighthouse`` (pinned in package.json and its lockfile, installed by ``make
node-tools``) drives the machine's Chromium (``CHROME_PATH=/usr/bin/chromium``, headless),
with Lighthouse's default mobile settings: a phone-sized screen, Slow 4G and a 4x slower
CPU, simulated. The demo instance (as ``make run`` loads it, full-size photos) runs under
gunicorn with the project's production configuration. The listing form is audited signed
in as the demo household, its session cookie passed with ``--extra-headers``.

- per page (``home``, ``list``, ``product``, ``search``, ``listing_form``): the four
  category scores by Lighthouse's ids (``performance``, ``accessibility``,
  ``best-practices``, ``seo``), 0 to 1, each the median of ``BENCH_LIGHTHOUSE_RUNS`` (3)
  runs. The report adds LCP, the bytes loaded and the audits that lost points.

The performance score follows the machine: Lighthouse scales its simulation by a CPU
benchmark of the machine it runs on, which a busy shared machine lowers (its
``benchmarkIndex`` is kept per run in the report, next to the load average).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import urllib.parse
import urllib.request

from bench.common import ROOT, demo_instance, demo_targets, gunicorn, instance_env, log

PAGES = ("home", "list", "product", "search", "listing_form")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
HOUSEHOLD = ("penjual@demo.id", "demo-pass-2026")


def signed_in_cookie(site: str) -> str:
    """The ``Cookie`` header of the demo household after signing in through the form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{site}/akun/masuk", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"csrf_token": token.group(1), "login": HOUSEHOLD[0], "password": HOUSEHOLD[1]}
    body = urllib.parse.urlencode(form).encode()
    with opener.open(f"{site}/akun/masuk", data=body, timeout=30) as response:
        response.read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def audit(url: str, cookie: str | None = None) -> dict:
    """One Lighthouse run of ``url`` (mobile); its JSON report."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    finished = subprocess.run(
        command,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"lighthouse {url} failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout)


def _lost_points(report: dict) -> list[str]:
    """The audits of the four categories that did not get full marks."""
    lost = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            result = report["audits"][ref["id"]]
            if ref["weight"] > 0 and result["score"] is not None and result["score"] < 1:
                lost.append(f"{category}: {ref['id']} {result['score']:.2f}")
    return lost


def run() -> tuple[dict, dict]:
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"{LIGHTHOUSE} is missing: run `make node-tools`")
    runs = int(os.environ.get("BENCH_LIGHTHOUSE_RUNS", "3"))
    instance = demo_instance()
    paths = dict(demo_targets(instance), listing_form="/penjual/produk/baru")
    result, notes = {}, {"paths": {page: paths[page] for page in PAGES}, "pages": {}}
    with gunicorn("wsgi:app", instance_env(instance), 2) as site:
        cookie = signed_in_cookie(site)
        for page in PAGES:
            reports = [
                audit(site + paths[page], cookie if page == "listing_form" else None)
                for _ in range(runs)
            ]
            final = urllib.parse.urlsplit(reports[0]["finalDisplayedUrl"])
            if final.path != urllib.parse.urlsplit(paths[page]).path:
                # e.g. the listing form sent to the sign-in page: not the page meant.
                raise RuntimeError(f"lighthouse {page} ended at {final.path}, not {paths[page]}")
            result[page] = {
                category: statistics.median(r["categories"][category]["score"] for r in reports)
                for category in CATEGORIES
            }
            notes["pages"][page] = {
                "runs": [{c: r["categories"][c]["score"] for c in CATEGORIES} for r in reports],
                "lcp_ms": [
                    round(r["audits"]["largest-contentful-paint"]["numericValue"]) for r in reports
                ],
                "bytes": [r["audits"]["total-byte-weight"]["numericValue"] for r in reports],
                "benchmark_index": [r["environment"]["benchmarkIndex"] for r in reports],
                "load": round(os.getloadavg()[0], 2),
                "lost": sorted({line for r in reports for line in _lost_points(r)}),
                "lighthouse": reports[0]["lighthouseVersion"],
            }
            log(f"lighthouse {page}: {result[page]}")
    return result, notes
