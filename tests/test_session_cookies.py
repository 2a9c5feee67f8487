"""Session cookies verified once per process (``marketplace.web.SessionCookies``)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from flask import Flask, request, session

from marketplace.web import SessionCookies


@pytest.fixture
def site():
    app = Flask(__name__)
    app.secret_key = "a key for these tests"
    app.permanent_session_lifetime = dt.timedelta(hours=1)
    app.session_interface = SessionCookies()
    return app


def cookie_of(app: Flask, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app: Flask, cookie: str):
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        return app.session_interface.open_session(app, request)


def test_the_same_cookie_opens_to_the_same_contents_each_time_as_its_own_copy(site):
    cookie = cookie_of(site, {"_user_id": "abc", "cart": {"7": 2}})
    first = opened(site, cookie)
    first["cart"]["7"] = 99
    first["_user_id"] = "someone else"

    again = opened(site, cookie)

    assert dict(again) == {"_user_id": "abc", "cart": {"7": 2}}
    assert not again.modified


def test_a_changed_or_foreign_cookie_opens_to_an_empty_session(site):
    cookie = cookie_of(site, {"_user_id": "abc"})
    assert dict(opened(site, cookie)) == {"_user_id": "abc"}
    tampered = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]

    assert dict(opened(site, tampered)) == {}
    other = Flask(__name__)
    other.secret_key = "someone else's key"
    other.session_interface = SessionCookies()
    assert dict(opened(site, cookie_of(other, {"_user_id": "abc"}))) == {}


def test_a_kept_cookie_expires_when_the_lifetime_has_passed(site, monkeypatch):
    cookie = cookie_of(site, {"_user_id": "abc"})
    assert dict(opened(site, cookie)) == {"_user_id": "abc"}
    signed = time.time()

    monkeypatch.setattr(time, "time", lambda: signed + 3600 + 2)

    assert dict(opened(site, cookie)) == {}


def test_a_cookie_signed_in_the_future_is_refused_when_kept_too(site, monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 600)
    cookie = cookie_of(site, {"_user_id": "abc"})
    monkeypatch.setattr(time, "time", lambda: now + 1200)
    assert dict(opened(site, cookie)) == {"_user_id": "abc"}

    monkeypatch.setattr(time, "time", lambda: now)

    assert dict(opened(site, cookie)) == {}


def test_a_new_secret_key_refuses_the_cookies_verified_with_the_old_one(site):
    cookie = cookie_of(site, {"_user_id": "abc"})
    assert dict(opened(site, cookie)) == {"_user_id": "abc"}

    site.secret_key = "a new key"

    assert dict(opened(site, cookie)) == {}
    site.config["SECRET_KEY_FALLBACKS"] = ["a key for these tests"]
    assert dict(opened(site, cookie)) == {"_user_id": "abc"}


def test_the_process_keeps_a_bounded_number_of_cookies_forgetting_the_oldest(site, monkeypatch):
    monkeypatch.setattr(SessionCookies, "KEPT", 3)
    cookies = [cookie_of(site, {"n": n}) for n in range(5)]
    for cookie in cookies:
        opened(site, cookie)

    _keys, _serializer, verified = site.session_interface._keys(site)

    assert list(verified) == cookies[2:]
    assert dict(opened(site, cookies[0])) == {"n": 0}  # verified again, not lost


def test_a_request_that_changes_the_session_sends_a_new_cookie_and_the_old_one_still_opens(site):
    @site.get("/count")
    def count():
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    client = site.test_client()
    assert client.get("/count").text == "1"
    first = client.get_cookie("session").value
    assert client.get("/count").text == "2"

    replay = site.test_client()
    replay.set_cookie("session", first)
    assert replay.get("/count").text == "2"
    assert replay.get("/count").text == "3"
