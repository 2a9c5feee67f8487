"""Browser journeys: the machine's Chromium on a 360x740 phone against the app under gunicorn.

The server reads the suite's test database, so a journey sees the demo catalogue. What it
writes is committed by gunicorn, outside the per-test transaction: a journey that writes
uses data of its own and gives it back through the ``accounts`` fixture.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import served_env
from tests.e2e.accessibility import AxeWatch
from tests.e2e.helpers import Accounts
from tests.servers import gunicorn

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}

# Actions and auto-waiting assertions give up after this long (Playwright's default is 30 s
# and 5 s); a page here answers in milliseconds.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def live_server(app, tmp_path_factory) -> Iterator[str]:
    """Base URL of ``wsgi:app`` under gunicorn, on the test database and media."""
    env = served_env(app, tmp_path_factory.mktemp("e2e-instance"))
    with gunicorn(env, workers=2, threads=4) as base:
        yield base


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _artifact_name(node_name: str, actor: str, first: bool) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", node_name.removeprefix("test_")).strip("-")
    return f"{name}.png" if first else f"{name}-{actor}.png"


@pytest.fixture
def open_phone(browser, live_server, request):
    """``open_phone("reviewer")`` gives a new phone (its own cookies) on the live site.

    A journey with several people opens one phone each. When the test ends, each phone's
    last page is saved to ``tests/e2e/artifacts/<journey>.png`` (``<journey>-<actor>.png``
    for the second and later phones), pass or fail, for a person to look at.

    axe-core checks every page of the site each phone is sent, just before the phone leaves
    it (and the last one at the end); any violation, of any impact, fails the journey
    (``tests/e2e/accessibility.py``).
    """
    opened: list[tuple[str, Page]] = []
    watches: list[AxeWatch] = []

    def open_(actor: str = "visitor", **options) -> Page:
        # ``options`` go to the browser context, e.g. ``java_script_enabled=False`` or a
        # smaller ``viewport``.
        context = browser.new_context(
            base_url=live_server,
            viewport=options.pop("viewport", PHONE),
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="id-ID",
            timezone_id="Asia/Makassar",
            **options,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        opened.append((actor, page))
        watches.append(AxeWatch(page, live_server, actor))
        return page

    yield open_
    ARTIFACTS.mkdir(exist_ok=True)
    for watch in watches:
        watch.check()
        watch.close()
    for index, (actor, page) in enumerate(opened):
        name = _artifact_name(request.node.name, actor, first=index == 0)
        page.screenshot(path=ARTIFACTS / name, full_page=True)
        page.context.close()
    problems = [line for watch in watches for line in watch.problems]
    if problems:
        pytest.fail("axe-core found accessibility violations:\n" + "\n".join(problems))


@pytest.fixture
def phone(open_phone) -> Page:
    """One visitor's phone."""
    return open_phone("visitor")


@pytest.fixture
def accounts(app) -> Iterator[Accounts]:
    """Accounts the live server can see (committed), removed again after the journey."""
    accounts = Accounts(app)
    yield accounts
    accounts.remove_all()
