"""Sessions: a new one on sign-in, none after sign-out, and no way off the site through ``next``.

tests/accounts/test_views.py already shows that sign-in gets a fresh CSRF token, that a
cookie copied before sign-out is worthless afterwards, and that sign-in's ``next`` never
leads off the site; here are the other cookies and the other ``next`` entry points.
"""

from __future__ import annotations

import pyotp
import pytest

from marketplace.db import db
from tests import factories
from tests.conftest import csrf_token_from

OFF_SITE = ["//evil.example", "/\\evil.example", "https:evil.example", "https://evil.example/"]
ON_SITE = "/produk?region=tarakan"


def _sign_in(client, login: str, **extra) -> None:
    """The password, and for an admin (who must have a second factor) the app's code."""
    token = csrf_token_from(client.get("/akun/masuk").get_data(as_text=True))
    data = {"login": login, "password": factories.PASSWORD, "csrf_token": token, **extra}
    response = client.post("/akun/masuk", data=data)
    if response.status_code == 303 and response.headers["Location"] == "/akun/masuk/kode":
        token = csrf_token_from(client.get("/akun/masuk/kode").get_data(as_text=True))
        code = pyotp.TOTP(factories.ADMIN_TOTP_SECRET).now()
        response = client.post("/akun/masuk/kode", data={"code": code, "csrf_token": token})
    assert response.status_code == 302


def _is_signed_in_admin(client) -> bool:
    return client.get("/akun/admin/pengguna").status_code == 200


def test_sign_in_replaces_the_session_cookie(app, client, csrf):
    factories.make_user(email="kepala@contoh.id", roles=["admin"])
    db.session.commit()
    page = client.get("/akun/masuk").get_data(as_text=True)
    old_token, before = csrf_token_from(page), client.get_cookie("session").value

    _sign_in(client, "kepala@contoh.id")

    assert client.get_cookie("session").value != before
    assert _is_signed_in_admin(client)
    # What an attacker may have planted before sign-in is worth nothing after it.
    planted = app.test_client()
    planted.set_cookie("session", before)
    assert not _is_signed_in_admin(planted)
    response = client.post("/akun/keluar", data={"csrf_token": old_token})
    assert response.status_code == 400


def test_sign_out_also_ends_remember_me(app, client, csrf):
    factories.make_user(email="kepala@contoh.id", roles=["admin"])
    db.session.commit()
    _sign_in(client, "kepala@contoh.id", remember="y")
    remembered = client.get_cookie("remember_token").value
    # The remember-me cookie alone signs a browser in ...
    other_phone = app.test_client()
    other_phone.set_cookie("remember_token", remembered)
    assert _is_signed_in_admin(other_phone)

    token = csrf_token_from(client.get("/").get_data(as_text=True))
    client.post("/akun/keluar", data={"csrf_token": token})

    # ... until its owner signs out anywhere.
    replayed = app.test_client()
    replayed.set_cookie("remember_token", remembered)
    assert not _is_signed_in_admin(replayed)
    assert not _is_signed_in_admin(other_phone)
    assert client.get_cookie("remember_token") is None


def test_a_deactivated_account_loses_its_session(client, login_as):
    admin = login_as("admin")
    assert _is_signed_in_admin(client)
    admin.is_active_account = False
    db.session.commit()
    assert client.get("/akun/admin/pengguna").status_code == 302


def _after_sign_up(client, target):
    form = {"name": "Ibu Baru", "email": "baru@contoh.id", "password": "tenun-ulap-doyo"}
    return client.post("/akun/daftar", query_string={"next": target}, data=form)


def _when_already_signed_in(client, target):
    factories.make_user(email="ada@contoh.id")
    client.post("/akun/masuk", data={"login": "ada@contoh.id", "password": factories.PASSWORD})
    return client.get("/akun/masuk", query_string={"next": target})


def _after_language_switch(client, target):
    return client.post("/bahasa", data={"locale": "en", "next": target})


ENTRY_POINTS = [_after_sign_up, _when_already_signed_in, _after_language_switch]


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__.strip("_"))
def test_next_never_leads_off_the_site(client, entry, target):
    response = entry(client, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__.strip("_"))
def test_next_on_the_site_is_followed(client, entry):
    response = entry(client, ON_SITE)
    assert response.headers["Location"] == ON_SITE
