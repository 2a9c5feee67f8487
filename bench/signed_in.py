"""Requests per second of every signed-in page at a household's real scale, next to bare Flask.

A scratch SQLite database (migrated, the demo catalogue) grown by ``tests/household.py`` to
issue 23's size: a household with 300 products, 5,000 order parts and their ledger entries
(about 20,000), an office with 500 quotes, 1,000 open payouts for the admin, a buyer with 10
cart lines. Each role's session cookie is made once by the app itself (Flask-Login's
``login_user`` in a request from loopback with the load generator's User-Agent, signed by the
app's session interface) and refreshed by one real request per page, so that the pages
measured set no new cookie. The app and bench/hello.py run under the same gunicorn settings
as ``pages`` (``-w 2``, sync workers, loopback); rounds are interleaved and each page's ratio
is taken within its round against that round's hello. The statements each page runs at this
size (in-process, the same cookie) are kept beside the figures. ``empty_page`` is the ceiling
beside them: the household signed in on a page with nothing but ``base.html``
(``bench/floor_app.py``, the same app with that one route more).
"""

from __future__ import annotations

import http.client
import os
from functools import partial
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from bench import load
from bench.common import SECRET_KEY, counting_statements, gunicorn, instance_env, log
from bench.common import scratch as scratch_folder
from bench.rounds import figures, hello_figures, meta, run_rounds, server_master, with_cpu

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
DURATION = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP = 1.0
WORKERS = 2
#: what the load generator says it is; the session's identifier is made for it
USER_AGENT = "marketplace-bench"
#: the ceiling measured beside the pages (``bench/floor_app.py``)
EMPTY_PAGE, EMPTY_PATH = "empty_page", "/__bench/empty"


def add_empty_page(app) -> None:
    """The ceiling's route on ``app``: a signed-in visitor's page with ``base.html`` and a
    heading in it, nothing else (``bench/floor_app.py`` serves it, ``profile_signed_in``
    times it)."""
    from flask import render_template
    from flask_login import login_required

    page = app.jinja_env.from_string(
        "{% extends 'base.html' %}{% block content %}<h1>{{ _('Akun') }}</h1>{% endblock %}"
    )
    app.add_url_rule(EMPTY_PATH, EMPTY_PAGE, login_required(lambda: render_template(page)))


def _build(instance) -> tuple[dict[str, tuple[str, str]], dict[str, str], dict, dict, str]:
    """The grown database: each page's (role, path), each role's cookie, what the data set
    holds, each page's statements, the session cookie's name."""
    import flask_migrate
    from flask import session
    from flask_login import login_user
    from sqlalchemy import select

    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.db import db
    from marketplace.demo import load_demo
    from marketplace.extensions import limiter
    from tests import household

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": instance_env(instance)["DATABASE_URL"],
            "MEDIA_ROOT": str(instance / "media"),
            "SECRET_KEY": SECRET_KEY,
            "SERVER_NAME": None,
            "DATABASE_STATEMENT_TIMEOUT": 600,
        }
    )
    limiter.enabled = False
    with app.app_context():
        flask_migrate.upgrade()
        load_demo(photo_size=400)
        db.session.commit()
        people = household.build(household.FULL)
        db.session.commit()
        reached = household.reached(people)
        paths = household.paths_of(people)
        tokens = {
            role: household.user_of(people, role).session_token for role, _path in paths.values()
        }
        db.session.remove()
    log(f"signed_in: data set {reached}")
    cookies = {}
    for role in tokens:
        with app.test_request_context(
            "/", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
        ):
            login_user(db.session.scalar(select(User).filter_by(session_token=tokens[role])))
            cookies[role] = app.session_interface.get_signing_serializer(app).dumps(dict(session))
            db.session.remove()
    statements = _count(app, paths, cookies)
    with app.app_context():
        # Nothing of this process may hold the database while gunicorn's workers use it.
        db.engine.dispose()
    return paths, cookies, reached, statements, app.config["SESSION_COOKIE_NAME"]


def _count(app, paths, cookies) -> dict[str, int]:
    """Each page's SQL statements at this size, in-process, with the role's cookie."""
    from marketplace.db import db

    counts = {}
    name = app.config["SESSION_COOKIE_NAME"]
    for page, (role, path) in paths.items():
        client = app.test_client()
        client.set_cookie(name, cookies[role])
        headers = {"User-Agent": USER_AGENT}
        client.get(path, headers=headers)
        with app.app_context():
            engine = db.engine
        with counting_statements(engine) as recorded:
            answer = client.get(path, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code} in-process")
        counts[page] = len(recorded)
    return counts


def _get(url: str, cookie_name: str, cookie: str) -> tuple[int, str | None]:
    """GET ``url`` with the session cookie: the status and a new cookie value, if one is set."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Cookie": f"{cookie_name}={cookie}", "User-Agent": USER_AGENT}
        connection.request("GET", path, headers={**load.HEADERS, **headers})
        response = connection.getresponse()
        response.read()
        fresh = None
        for header in response.headers.get_all("Set-Cookie") or []:
            morsel = SimpleCookie(header).get(cookie_name)
            if morsel is not None:
                fresh = morsel.value
        return response.status, fresh
    finally:
        connection.close()


def _settle(site: str, paths, cookies, cookie_name: str) -> dict[str, str]:
    """Each role's cookie after its pages have been seen (a CSRF token kept in the session):
    the cookie a browser would send from then on. Every page must answer 200."""
    settled = dict(cookies)
    for _attempt in range(3):
        changed = False
        for role, path in paths.values():
            status, fresh = _get(site + path, cookie_name, settled[role])
            if status != 200:
                raise RuntimeError(f"{path} answered {status} to the {role}")
            if fresh is not None and fresh != settled[role]:
                settled[role], changed = fresh, True
        if not changed:
            return settled
    log("signed_in: WARNING a page still sets a new session cookie on every request")
    return settled


def _headers(cookie_name: str, cookie: str) -> dict[str, str]:
    return {"Cookie": f"{cookie_name}={cookie}", "User-Agent": USER_AGENT}


def _measure(url: str, duration: float, *, headers: dict[str, str]) -> dict:
    """``load.run``, then one more request that waits behind what the load left queued.

    The load generator stops with requests still queued at gunicorn (sync workers finish
    them though nobody waits); a slow page would otherwise eat into the next page's time.
    """
    measured = load.run(url, duration, headers)
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request("GET", "/healthz")
        connection.getresponse().read()
    finally:
        connection.close()
    return measured


def with_shell_share(result: dict, pages) -> None:
    """Each page's CPU per request over the empty page's (``cpu_to_empty_page``): how much a
    page costs beyond what every signed-in page costs. Unlike the ratio to bare Flask it
    hardly moves with the machine (the cart 1.78 on one processor, 1.81 on another, where
    its ratio to hello went 0.195 → 0.154): the figure to follow a page's own work by."""
    empty = result[EMPTY_PAGE].get("cpu_ms")
    for page in pages:
        cpu = result[page].get("cpu_ms")
        if empty and cpu:
            result[page]["cpu_to_empty_page"] = round(cpu / empty, 2)


def run() -> tuple[dict, dict]:
    instance = scratch_folder() / "signed_in"
    (instance / "media").mkdir(parents=True, exist_ok=True)
    log("signed_in: building the household's data set (issue 23's size)")
    paths, cookies, reached, statements, cookie_name = _build(instance)
    env = instance_env(instance)
    log(f"signed_in: load generator {load.generator()}, {ROUNDS} rounds of {DURATION:g} s")
    with (
        gunicorn("bench.hello:app", env, WORKERS) as hello,
        gunicorn("bench.floor_app:app", env, WORKERS) as site,
    ):
        cookies = _settle(site, paths, cookies, cookie_name)
        targets = {"hello": (hello + "/", {})}
        # What every signed-in page costs before its own work (the household's cookie).
        targets[EMPTY_PAGE] = (site + EMPTY_PATH, _headers(cookie_name, cookies["seller"]))
        for page, (role, path) in paths.items():
            targets[page] = (site + path, _headers(cookie_name, cookies[role]))
        hello_master, site_master = server_master(hello), server_master(site)
        measures = {
            name: with_cpu(
                partial(_measure, url, headers=h), hello_master if name == "hello" else site_master
            )
            for name, (url, h) in targets.items()
        }
        done = run_rounds("signed_in", measures, ROUNDS, DURATION, WARMUP)
    result: dict = hello_figures(done)
    result[EMPTY_PAGE] = figures(done, EMPTY_PAGE)
    for page in paths:
        result[page] = {**figures(done, page), "statements": statements[page]}
    with_shell_share(result, paths)
    return result, {
        **meta(done, ROUNDS, DURATION, WORKERS),
        "data_set": reached,
        "paths": {
            EMPTY_PAGE: f"seller {EMPTY_PATH}",
            **{page: f"{role} {path}" for page, (role, path) in paths.items()},
        },
    }
