"""axe-core on every page a journey's phone shows.

The npm package ``axe-core`` (pinned in package.json, installed by ``make node-tools``) is
evaluated into the page through the DevTools protocol, which the site's Content Security
Policy does not govern, so the policy stays as production serves it. A page is checked
when the phone is about to leave it: each navigation request of the main frame waits in a
route until axe has looked at the page it leaves (the page cannot change under axe); the
page's own ``goto``, ``go_back``, ``go_forward`` and ``reload`` check it before they go; and
the last page is checked when the journey ends. Pages of other origins (the test Stripe
server) are not ours and are left out.

A phone without JavaScript cannot run axe in its pages: the page it leaves (as the server
sent it) is shown at the same address in a second, hidden phone with JavaScript, which runs
axe on it.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error, Page, Response, Route

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Each document once: a redirect after a POST asks again for the page already checked.
RUN_AXE = """async () => {
  if (window.__axeChecked) return null;
  window.__axeChecked = true;
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
    """Checks each page of ``origin`` that ``page`` shows; ``report()`` lists what failed."""

    def __init__(self, page: Page, origin: str, actor: str, *, scripts: bool = True):
        self.page = page
        self.origin = origin.rstrip("/")
        self.actor = actor
        self.scripts = scripts
        self.problems: list[str] = []
        self.checked: list[str] = []
        self._checker: Page | None = None
        self._document: tuple[str, str] | None = None
        self._navigating = False
        page.route(self._may_be_a_page, self._leaving)
        # Inside a route, a page busy in goto() (or back, forward, reload) answers nothing:
        # those check the page first, before they leave it.
        for name in ("goto", "go_back", "go_forward", "reload"):
            setattr(page, name, self._checking_first(getattr(page, name)))
        if not scripts:
            page.on("response", self._arrived)

    def _may_be_a_page(self, url: str) -> bool:
        return "/static/" not in url and "/media/" not in url

    def _checking_first(self, navigate):
        def navigate_after_checking(*args, **kwargs):
            self.check()
            self._navigating = True
            try:
                return navigate(*args, **kwargs)
            finally:
                self._navigating = False

        return navigate_after_checking

    def _leaving(self, route: Route) -> None:
        request = route.request
        main_frame = request.frame == self.page.main_frame
        if request.is_navigation_request() and main_frame and not self._navigating:
            self.check()
        route.continue_()

    def _arrived(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and response.frame == self.page.main_frame:
            self._document = (response.url, response.text()) if response.ok else None

    def check(self) -> None:
        """Run axe on the page shown now, once, if it is one of the site's."""
        if self.scripts:
            self._check(self.page.url, lambda: self.page)
        elif self._document is not None:
            (url, html), self._document = self._document, None
            self._check(url, lambda: self._copy_of(url, html))

    def _check(self, url: str, page_to_check) -> None:
        if not url.startswith(self.origin + "/"):
            return
        try:
            violations = _run_axe(page_to_check())
        except Error as error:
            self.problems.append(f"{self.actor} {url}: axe could not run ({error.message})")
            return
        if violations is None:
            return
        self.checked.append(url)
        for violation in violations:
            self.problems.append(
                f"{self.actor} {url}: {violation['id']} ({violation['impact']}) "
                f"{violation['help']}: {', '.join(violation['targets'])}"
            )

    def _copy_of(self, url: str, html: str) -> Page:
        """``html`` at ``url`` in a hidden phone that runs scripts."""
        if self._checker is None:
            context = self.page.context.browser.new_context(viewport=self.page.viewport_size)
            self._checker = context.new_page()
        checker = self._checker
        checker.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        checker.goto(url)
        checker.unroute(url)
        return checker

    def close(self) -> None:
        if self._checker is not None:
            self._checker.context.close()

    def report(self) -> list[str]:
        return self.problems


def _run_axe(page: Page) -> list[dict] | None:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return page.evaluate(RUN_AXE)
