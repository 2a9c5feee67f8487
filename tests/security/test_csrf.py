"""Every state-changing request needs the CSRF token of the session that sends it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from marketplace import create_app
from marketplace.accounts.models import Role, User
from marketplace.db import db
from tests import factories
from tests.conftest import app_settings, csrf_token_from
from tests.security.access_table import ACCESS, FORMS, OBJECTS, fill, form_for

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
REFUSED = "Formulir kedaluwarsa atau tidak sah"

#: Endpoints that take no CSRF token, and what protects them instead.
EXEMPT = {
    "payments.webhook": "Stripe's events carry no session; the Stripe-Signature header "
    "is verified instead (tests/payments, and a 400 row in the access table)",
    "payouts.connect_webhook": "Stripe Connect's account.updated events: the Stripe-Signature "
    "header is verified instead (tests/payouts, and a 400 row in the access table)",
    "payments.midtrans_notification": "Midtrans' notifications carry no session; their "
    "signature_key is verified instead (tests/payments/test_midtrans_http.py)",
    "payouts.iris_notification": "Midtrans Payouts' notifications carry no session; their "
    "Iris-Signature header is verified instead (tests/payouts/test_iris_http.py)",
    "orders.courier_webhook": "Biteship's webhooks carry no session; the secret header set "
    "with the URL in Biteship's dashboard is checked instead (tests/orders/test_shipments.py)",
    "site.language": "the footer's language switch is on cached public pages, the same for "
    "every visitor: the request's origin is checked instead (test_cross_origin.py)",
    "orders.cart_add": "Masukkan keranjang is on the cached product page: the request's origin "
    "is checked instead (test_cross_origin.py)",
}


def _state_changing_requests() -> list:
    """Each non-GET route of the app, with a path from the access table that reaches it."""
    app = create_app(app_settings())
    adapter = app.url_map.bind("localhost")
    placeholders = {name: "1" for name in OBJECTS}
    paths = {}
    for method, path, *statuses in ACCESS:
        try:
            rule, _ = adapter.match(
                path.format(**placeholders).split("?")[0], method=method, return_rule=True
            )
        except (MethodNotAllowed, NotFound):
            continue
        # Any row whose path reaches the rule will do (the token is checked before the
        # view); one an admin gets through is preferred.
        admin_reaches = statuses[-1] not in (404, 405)
        known = paths.get((method, rule.rule))
        if known is None or (admin_reaches and not known[2]):
            paths[(method, rule.rule)] = (path, rule.endpoint, admin_reaches)
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        for method in sorted(rule.methods - SAFE_METHODS):
            # A route missing from the access table fails test_every_route_is_in_the_table.
            path, endpoint, _ = paths.get((method, rule.rule), (rule.rule, rule.endpoint, False))
            for role in ("anonymous", "admin"):
                cases.append(
                    pytest.param(method, path, endpoint, role, id=f"{method} {path} {role}")
                )
    return cases


@pytest.mark.parametrize(("method", "path", "endpoint", "role"), _state_changing_requests())
def test_state_change_without_token_is_refused(
    client, login_as, csrf, method, path, endpoint, role
):
    user = None if role == "anonymous" else login_as(role)
    response = client.open(fill(path, user), method=method, data=form_for(endpoint))
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_refused_requests_change_nothing(client, login_as, csrf):
    login_as("admin")
    other = factories.make_user()
    db.session.commit()
    client.post(f"/akun/admin/pengguna/{other.id}/peran", data=FORMS["accounts.admin_change_role"])
    db.session.refresh(other)
    assert other.roles == {Role.BUYER}

    client.post("/akun/keluar")
    client.post("/akun/daftar", data=FORMS["accounts.sign_up"])
    new = select(User).where(User.email == FORMS["accounts.sign_up"]["email"])
    assert db.session.scalar(new) is None


def test_a_token_from_another_session_is_refused(app, client, csrf):
    theirs = app.test_client()
    token = csrf_token_from(theirs.get("/akun/masuk").get_data(as_text=True))
    client.get("/akun/masuk")  # a session of its own, with its own token
    response = client.post("/akun/keluar", data={"csrf_token": token})
    assert response.status_code == 400


def test_the_session_own_token_is_accepted(client, csrf):
    token = csrf_token_from(client.get("/akun/masuk").get_data(as_text=True))
    response = client.post("/akun/keluar", data={"csrf_token": token})
    assert response.status_code == 302
