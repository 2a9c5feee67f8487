"""The access matrix (``access_table.ACCESS``): every route, every role, one expected status."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests import factories
from tests.security.access_table import (
    ACCESS,
    FORMS,
    OBJECTS,
    ROLES,
    SCOPED_REVIEWER_ACCESS,
    fill,
    form_for,
)

CASES = [
    pytest.param(method, path, role, status, id=f"{method} {path} as {role}")
    for method, path, *statuses in ACCESS
    for role, status in zip(ROLES, statuses, strict=True)
]


def endpoint_of(app, method: str, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.split("?")[0], method=method)
    except (MethodNotAllowed, NotFound):
        return None
    return endpoint


@pytest.mark.parametrize(("method", "path", "role", "status"), CASES)
def test_access(app, client, login_as, method, path, role, status):
    user = None if role == "anonymous" else login_as(role)
    if role == "seller":
        factories.make_seller(user=user)  # a seller runs a shop
    if role == "officer":  # an officer works for an office
        from marketplace.institutions.members import add_member

        add_member(factories.make_institution().id, user.email, can_approve=False)
    url = fill(path, user)
    data = form_for(endpoint_of(app, method, url)) if method != "GET" else None
    with client.open(url, method=method, data=data) as response:
        assert response.status_code == status
        if role == "anonymous" and status == 302 and "/akun/admin" in path:
            assert response.headers["Location"].startswith("/akun/masuk?next=")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param(*row, id=f"{row[0]} {row[1]} as a Malinau reviewer")
        for row in SCOPED_REVIEWER_ACCESS
    ],
)
def test_access_of_a_kabupaten_reviewer(client, login_as, method, path, status):
    factories.scope_reviewer(login_as("reviewer"), "malinau")
    with client.open(path, method=method) as response:
        assert response.status_code == status


def test_every_route_is_in_the_table(app):
    """A route added to the app without rows here fails, naming what is missing."""
    covered = set()
    adapter = app.url_map.bind("localhost")
    placeholders = {name: "1" for name in OBJECTS}
    for method, path, *_ in ACCESS:
        try:
            rule, _ = adapter.match(
                path.format(**placeholders).split("?")[0], method=method, return_rule=True
            )
        except (MethodNotAllowed, NotFound):
            continue  # a 405 or 404 row covers no route
        covered.add((method, rule.rule))
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - covered)
    assert not missing, f"add rows to tests/security/access_table.py for {missing}"


def test_every_post_endpoint_has_a_valid_form(app):
    posting = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods - {"GET", "HEAD", "OPTIONS"}
    }
    assert posting <= set(FORMS), f"add FORMS for {sorted(posting - set(FORMS))}"
