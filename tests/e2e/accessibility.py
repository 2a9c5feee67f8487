"""axe-core on every page a journey's phone is sent.

The npm package ``axe-core`` (pinned in package.json, installed by ``make node-tools``) is
evaluated through the DevTools protocol, which the site's Content Security Policy does not
govern, so the policy stays as production serves it.

Each page the site sends a phone (any status but a redirect) is kept as it arrives and
checked when the phone is about to leave it: a navigation request of the main frame waits
in a route until axe is done, and the last page is checked when the journey ends. While
a navigation is pending Playwright answers nothing from the page itself, so the page is
checked in a second, hidden phone with JavaScript: the same HTML at the same address,
with its own stylesheets, scripts and photos. That also checks pages of a phone without
JavaScript. Pages of other origins (the test Stripe server) are not ours and are left out.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error, Page, Response, Route

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


def _axe_source() -> str:
    if not AXE_SOURCE.exists():
        raise RuntimeError(f"{AXE_SOURCE} is missing: run `make node-tools`")
    return AXE_SOURCE.read_text()


class AxeWatch:
    """Checks each page of ``origin`` that ``page`` is sent; ``problems`` says what failed."""

    def __init__(self, page: Page, origin: str, actor: str):
        self.page = page
        self.origin = origin.rstrip("/")
        self.actor = actor
        self.problems: list[str] = []
        self.checked: list[str] = []
        self._document: tuple[str, str] | None = None
        self._checker: Page | None = None
        page.on("response", self._arrived)
        page.route(self._may_be_a_page, self._leaving)

    def _may_be_a_page(self, url: str) -> bool:
        return url.startswith(self.origin + "/") and "/static/" not in url and "/media/" not in url

    def _arrived(self, response: Response) -> None:
        if not (
            response.request.is_navigation_request() and response.frame == self.page.main_frame
        ):
            return
        if 300 <= response.status < 400 or not response.url.startswith(self.origin + "/"):
            return
        if "text/html" in response.headers.get("content-type", ""):
            self._document = (response.url, response.text())

    def _leaving(self, route: Route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.check()
        route.continue_()

    def check(self) -> None:
        """Run axe on the page the phone was last sent, once."""
        if self._document is None:
            return
        (url, html), self._document = self._document, None
        try:
            violations = _run_axe(self._copy_of(url, html))
        except Error as error:
            self.problems.append(f"{self.actor} {url}: axe could not run ({error.message})")
            return
        self.checked.append(url)
        for violation in violations:
            self.problems.append(
                f"{self.actor} {url}: {violation['id']} ({violation['impact']}) "
                f"{violation['help']}: {', '.join(violation['targets'])}"
            )

    def _copy_of(self, url: str, html: str) -> Page:
        """``html`` at ``url`` in the hidden phone (the same screen size)."""
        if self._checker is None:
            context = self.page.context.browser.new_context(
                viewport=self.page.viewport_size, is_mobile=True, has_touch=True
            )
            self._checker = context.new_page()
        checker = self._checker
        checker.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        try:
            checker.goto(url)
        finally:
            checker.unroute(url)
        return checker

    def close(self) -> None:
        if self._checker is not None:
            self._checker.context.close()


def _run_axe(page: Page) -> list[dict]:
    page.evaluate(_axe_source())
    return page.evaluate(RUN_AXE)
