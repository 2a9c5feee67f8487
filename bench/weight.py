"""Bytes a phone downloads for each main page.

The demo catalogue (as ``make run`` loads it, full-size photos) under gunicorn;
the machine's Chromium, headless, through Playwright, at 412x823 CSS pixels and
a device pixel ratio of 1.75, a fresh cache for each page.

- ``html_gz``, ``css_gz``, ``js_gz``: bytes on the wire when asked with
  ``Accept-Encoding: gzip`` (what the server really sends; a file it does not
  compress counts at full size), for the page and every stylesheet and script it loads.
- ``first_screen_images``: bytes of the images whose box meets the first screen,
  at the variant the browser picked from ``srcset``.
"""

from __future__ import annotations

import urllib.request

from bench.common import demo_instance, demo_targets, gunicorn, instance_env, log

PAGES = ("home", "list", "product", "search", "shop")
VIEWPORT = {"width": 412, "height": 823}
SCALE = 1.75
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

FIRST_SCREEN = """() => Array.from(document.images).filter(img => {
  const box = img.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
    && box.top < window.innerHeight && box.left < window.innerWidth;
}).map(img => img.currentSrc || img.src)"""


def sent_gzip(url: str) -> tuple[int, bool]:
    """Bytes the server sends for ``url`` to a client that accepts gzip, and whether gzipped."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        body = response.read()
        return len(body), response.headers.get("Content-Encoding") == "gzip"


def measure(browser, url: str) -> tuple[dict, dict]:
    context = browser.new_context(
        viewport=VIEWPORT, device_scale_factor=SCALE, is_mobile=True, has_touch=True
    )
    responses = []
    loaded: dict[str, tuple[str, int]] = {}
    try:
        page = context.new_page()
        page.on("response", lambda response: responses.append(response))
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        on_screen = set(page.evaluate(FIRST_SCREEN))
        for response in responses:
            try:
                size = len(response.body())
            except Exception:  # noqa: BLE001 (redirects and aborted loads have no body)
                size = 0
            loaded[response.url] = (response.request.resource_type, size)
    finally:
        context.close()
    html, html_gzipped = sent_gzip(url)
    sizes = {"html_gz": html, "css_gz": 0, "js_gz": 0}
    uncompressed = [] if html_gzipped else [url]
    for resource, (kind, _) in loaded.items():
        key = {"stylesheet": "css_gz", "script": "js_gz"}.get(kind)
        if key:
            size, gzipped = sent_gzip(resource)
            sizes[key] += size
            if not gzipped:
                uncompressed.append(resource)
    sizes["first_screen_images"] = sum(loaded.get(src, ("", 0))[1] for src in on_screen)
    images = sorted((src.rsplit("/", 1)[-1], loaded.get(src, ("", 0))[1]) for src in on_screen)
    return sizes, {
        "uncompressed": uncompressed,
        "first_screen": [f"{name} {size}" for name, size in images],
        "all_images": sum(size for kind, size in loaded.values() if kind == "image"),
    }


def run() -> tuple[dict, dict]:
    from playwright.sync_api import sync_playwright

    instance = demo_instance()
    paths = demo_targets(instance)
    result, notes = {}, {}
    with gunicorn("wsgi:app", instance_env(instance), 2) as site, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for page in PAGES:
                result[page], notes[page] = measure(browser, site + paths[page])
                log(f"weight {page}: {result[page]}")
        finally:
            browser.close()
    return result, {"paths": {page: paths[page] for page in PAGES}, "pages": notes}
