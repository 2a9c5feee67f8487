"""Security headers on every kind of response, not only the HTML pages.

tests/test_site.py checks the main HTML pages and the 404 page; here are the rest: health,
media, static files, redirects, and each error page, held to the full policy.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace import create_app
from marketplace.catalog.models import ProductPhoto
from marketplace.db import db
from tests.conftest import app_settings


def assert_security_headers(response) -> None:
    policy = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert not any(value.startswith("'unsafe-") for values in policy.values() for value in values)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def _photo_url() -> str:
    photo = db.session.scalar(select(ProductPhoto).order_by(ProductPhoto.id).limit(1))
    return "/media/" + photo.variant_key(photo.widths[0])


def _media_not_modified(client, request):
    first = client.get(_photo_url())
    first.close()
    return client.get(_photo_url(), headers={"If-None-Match": first.headers["ETag"]})


def _missing_csrf_token(client, request):
    request.getfixturevalue("csrf")
    return client.post("/akun/keluar")


def _cross_site_form(client, request):
    request.getfixturevalue("csrf")
    return client.post("/bahasa", data={"locale": "en"}, headers={"Sec-Fetch-Site": "cross-site"})


def _too_many_sign_ins(client, request):
    request.getfixturevalue("rate_limits")
    request.getfixturevalue("monkeypatch").setitem(
        client.application.config, "SIGNIN_LIMIT_PER_ADDRESS", "1 per minute"
    )
    client.post("/akun/masuk", data={"login": "a@contoh.id", "password": "x"})
    return client.post("/akun/masuk", data={"login": "b@contoh.id", "password": "x"})


def _as(role, path):
    def get(client, request):
        request.getfixturevalue("login_as")(role)
        return client.get(path)

    return get


# (what, status, how to get it)
RESPONSES = [
    ("health", 200, lambda client, request: client.get("/healthz")),
    ("health not found", 404, lambda client, request: client.get("/healthz/tidak-ada")),
    ("media photo", 200, lambda client, request: client.get(_photo_url())),
    ("media not modified", 304, _media_not_modified),
    ("media not found", 404, lambda client, request: client.get("/media/photos/x/1.webp")),
    ("static file", 200, lambda client, request: client.get("/static/style.css")),
    ("redirect to sign in", 302, lambda client, request: client.get("/akun/admin/pengguna")),
    ("signed-in admin page", 200, _as("admin", "/akun/admin/pengguna")),
    ("forbidden", 403, _as("buyer", "/akun/admin/pengguna")),
    ("method not allowed", 405, lambda client, request: client.get("/akun/keluar")),
    ("bad request", 400, lambda client, request: client.post("/bahasa", data={"locale": "xx"})),
    ("missing CSRF token", 400, _missing_csrf_token),
    ("cross-site form", 403, _cross_site_form),
    ("too many sign-ins", 429, _too_many_sign_ins),
    ("english page", 200, lambda client, request: client.get("/", headers={"Cookie": "lang=en"})),
]


@pytest.mark.parametrize(("what", "status", "get"), RESPONSES, ids=[r[0] for r in RESPONSES])
def test_security_headers_on_every_response(client, request, what, status, get):
    with get(client, request) as response:
        assert response.status_code == status
        assert_security_headers(response)


def test_security_headers_on_the_server_error_page():
    app: Flask = create_app(app_settings(TESTING=False, PROPAGATE_EXCEPTIONS=False))

    @app.get("/rusak")
    def broken():
        raise RuntimeError("boom")

    response = app.test_client().get("/rusak")
    assert response.status_code == 500
    assert_security_headers(response)


def test_media_is_served_as_what_it_is(client):
    with client.get(_photo_url()) as response:
        assert response.mimetype == "image/webp"
        assert response.data[:4] == b"RIFF" and response.data[8:12] == b"WEBP"


@pytest.mark.parametrize("host", ["a" * 64 + ".example.com", "a..b"])
@pytest.mark.parametrize("path", ["/", "/produk", "/akun/", "/tidak-ada"])
def test_a_host_no_site_can_have_is_refused_with_a_message(client, login_as, host, path):
    # werkzeug refuses such a host before any page is matched; the error page then has no
    # address of the site to write its links with, and says its message alone
    for signed_in in (False, True):
        if signed_in:
            login_as("buyer")
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (path, signed_in)
        assert response.get_data(as_text=True) == "Permintaan tidak dapat diproses."
        assert_security_headers(response)


def test_a_forwarded_host_no_site_can_have_is_refused_too():
    app = create_app(app_settings(PROXY_HOPS=1))
    response = app.test_client().get("/", headers={"X-Forwarded-Host": "a" * 64 + ".id"})
    assert response.status_code == 400
    assert response.get_data(as_text=True) == "Permintaan tidak dapat diproses."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("POST", "/masuk"),
        ("POST", "/akun/push/langganan"),
        ("POST", "/kurir/biteship"),
    ],
)
def test_a_json_body_nested_past_reading_is_refused_on_any_page(client, login_as, method, path):
    # the JSON parser gives up past about a thousand levels (a RecursionError, no ValueError)
    login_as("buyer")
    nested = "[" * 1200 + "]" * 1200
    response = client.open(path, method=method, data=nested, content_type="application/json")
    assert response.status_code == 400
