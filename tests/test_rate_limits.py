"""Which requests the rate limits look at. A request no limit names (every page's GET here)
skips resolving them (``extensions._no_limit_names_the_request``); what a limit names is
read from Flask-Limiter itself, so a limit on a GET is kept, and the forms' limits hold."""

from __future__ import annotations

from flask import Flask

from marketplace import create_app
from marketplace.extensions import limiter
from tests.conftest import app_settings


def limited_app() -> Flask:
    """The marketplace with two pages of the test's own: one limited on GET, one on POST."""
    app = create_app(app_settings())

    @limiter.limit("2 per minute", methods=["GET"])
    def counted_page():
        return "dihitung"

    @limiter.limit("2 per minute", methods=["POST"])
    def counted_form():
        return "terkirim"

    app.add_url_rule("/__uji/dihitung", "counted_page", counted_page)
    app.add_url_rule("/__uji/formulir", "counted_form", counted_form, methods=["GET", "POST"])
    return app


def test_a_limit_on_a_get_holds_and_a_get_no_limit_names_is_never_refused(rate_limits):
    app = limited_app()
    client = app.test_client()
    assert [client.get("/__uji/dihitung").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get("/__uji/formulir").status_code for _ in range(10)} == {200}
    statuses = [client.post("/__uji/formulir").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # the page of a form limited on POST: the limit neither counts nor refuses its GET
    assert client.get("/__uji/formulir").status_code == 200
