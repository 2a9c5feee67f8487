"""Cached public pages for anonymous visitors, with HTTP validators.

What an anonymous visitor sees of the home, list, search, product and shop
pages depends only on the URL, the language, the catalogue and the date. The
rendered HTML is kept under a key holding the catalogue version
(``catalog_state``), which moves in the same transaction as any change to a
listing, price or stock, and today's date in WITA (``today_local``); so a
cached page is never older than the catalogue, in any process, nor than the
day.

Why the date, and nothing finer: what the public pages show changes with time only
from one local day to the next. A food licence is in force through its last day
(``licence_valid_until``) and the product is hidden from midnight WITA after it; no
public page shows an hour. Quote holds, which take their units off the public stock
(``Product.stock_for_sale``), end at a local midnight too (the end of the quote's
validity or of its delivery day), and the quote's validity is only on signed-in pages.
A household's holiday (``inventory.models.ShopClosure``) and its promotions (``catalog.models.
Promotion``, kept to whole days: midnight WITA of the first to the midnight after the last)
start and end on WITA days too: the notice or the struck-through price appears at the first
visit of the first day and goes at the first visit after the last day, with no job to run.
At midnight every key changes, so every page is rendered afresh once a day, the first
visit after midnight sees the licence ended, and no stored page outlives its day. The
day costs the lane no query: it is the clock's, not the database's. A page that showed
something ending at a time of day would need its entry to expire at that moment instead
(an expiry stored with it).
The key is taken before the page is rendered, so a page rendered across midnight
is newer than its key, never older.

A cached page is the same bytes for every anonymous visitor: it carries nothing of the
visitor's own, no CSRF token and no new session cookie. Its two forms (the language
switch, "Masukkan keranjang") are protected by the request's origin instead of a token
(``marketplace.crossorigin``); a page whose rendering asked for a token anyway is served
to that visitor and never stored. A page is kept gzip-compressed once, and served as
kept.

Two ways in. The ``cached_page`` view decorator renders, stores and serves inside
Flask. In front of the app, ``CachedPagesLane`` answers a repeated anonymous visit
from the store before Flask sets up a request at all (no request context, hooks,
login, limiter or template), with the same headers the decorator would give; anything
it is not sure of goes to the app.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import wraps
from threading import Lock

from flask import (
    Flask,
    Response,
    current_app,
    g,
    make_response,
    request,
)
from flask import session as flask_session
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from marketplace.breaker import redis_client
from marketplace.catalogversion import (  # noqa: F401  (the version's names, importable here too)
    VERSION_SQL,
    CatalogState,
    KnownVersion,
    VersionFeed,
    VersionReader,
    bump_catalog_version,
    catalog_version,
    known_version,
    request_catalog_version,
    version_feed,
    version_reader,
    watch,
)
from marketplace.db import db, today_local
from marketplace.locales import current_language
from marketplace.observability import request_id
from marketplace.web import LANGUAGE_PARAM, visitor_locale

log = logging.getLogger(__name__)

#: What in a session shows on a public page (a flashed message, the cart's count in the
#: header): a visitor carrying any of it gets the page rendered for them.
PERSONAL_SESSION_KEYS = ("_flashes", "cart")
#: All a session may hold for the lane to answer: Flask's permanence flag, Flask-Login's
#: freshness mark for a visitor who is not signed in, the shared link a visitor came
#: through (``ref``, web.REFERRAL_SESSION_KEY) and a CSRF token of another page (a sign-in
#: form seen before): none of it changes what a public page shows.
SHAREABLE_SESSION_KEYS = ("_permanent", "_fresh", "ref")
CACHE_TTL_SECONDS = 24 * 3600


class MemoryStore:
    """A bounded in-process store: correct across processes because keys carry the version."""

    def __init__(self, max_entries: int = 1024):
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._max = max_entries
        self._lock = Lock()
        #: moves with each ``clear``: what was read from the store before is forgotten
        self.generation = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.generation += 1


class RedisStore:
    """Pages shared by every process and machine when ``REDIS_URL`` is set.

    Redis away or slow is a miss, not an error: the page is rendered (and not stored)
    until Redis answers again. A hung Redis costs one timeout, then the process's breaker
    skips it for a while (``marketplace.breaker``).
    """

    TIMEOUT_SECONDS = 0.5

    def __init__(self, client):
        import redis

        self._errors = redis.RedisError
        self._redis = client
        self.generation = 0  # moves with this process's ``clear``, as MemoryStore's

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(key)
        except self._errors as error:
            log.debug("page cache: Redis unavailable (%s); the page is rendered", error)
            return None

    def set(self, key: str, value: bytes) -> None:
        try:
            self._redis.set(key, value, ex=CACHE_TTL_SECONDS)
        except self._errors as error:
            log.debug("page cache: Redis unavailable (%s); the page is not kept", error)

    def clear(self) -> None:
        for key in self._redis.scan_iter("page:*"):
            self._redis.delete(key)
        self.generation += 1


def init_page_cache(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    store = RedisStore(redis_client(app, url, RedisStore.TIMEOUT_SECONDS)) if url else MemoryStore()
    app.extensions["page_cache"] = store
    if feed := version_feed(app):
        app.extensions["version_feed"] = feed
    lane = CachedPagesLane(app, app.wsgi_app)
    app.extensions["cached_pages_lane"] = lane
    app.wsgi_app = lane


def page_path(environ: dict) -> str:
    """The path and query a page is stored under, as the server received them."""
    return (
        environ.get("SCRIPT_NAME", "")
        + environ.get("PATH_INFO", "")
        + "?"
        + environ.get("QUERY_STRING", "")
    )


def page_key(version: int, locale: str, path: str, day: str | None = None) -> str:
    """Where a page is stored now: the catalogue version, today (WITA), language, URL.

    ``gz``: what is stored is the page's gzip body (keys of another form are not read).
    """
    return f"page:gz:{version}:{day or today_local().isoformat()}:{locale}:{path}"


def page_etag(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not any(flask_session.get(key) for key in PERSONAL_SESSION_KEYS)
        and current_app.config.get("PAGE_CACHE", True)
    )


def compress(body: bytes) -> bytes:
    """The page as kept: gzip, compressed once (no name, no time: the same page, the same
    bytes)."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def takes_gzip(accept_encoding: str | None) -> bool:
    """Whether a client with this ``Accept-Encoding`` takes gzip: the usual "gzip, deflate,
    br" is read without parsing; anything with weights is parsed."""
    if not accept_encoding or "gzip" not in accept_encoding:
        return False
    if ";" not in accept_encoding:
        return "gzip" in (part.strip() for part in accept_encoding.split(","))
    return bool(parse_accept_header(accept_encoding)["gzip"])


def cached_page(view):
    """Serve ``view`` from the page cache for anonymous visitors."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        store = current_app.extensions["page_cache"]
        path = page_path(request.environ)
        key = page_key(request_catalog_version(), current_language(), path)
        etag = page_etag(key)
        if request.if_none_match.contains_weak(etag):
            response = make_response("", 304)
        else:
            stored = store.get(key)
            if stored is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
                if field in g:
                    # A form with a token bound to this visitor's session: theirs alone.
                    log.warning("page cache: %s carries a CSRF token; not stored", path)
                    return response
                stored = compress(response.get_data())
                store.set(key, stored)
            if takes_gzip(request.headers.get("Accept-Encoding")):
                response = Response(stored, mimetype="text/html")
                response.headers["Content-Encoding"] = "gzip"
            else:
                response = Response(gzip.decompress(stored), mimetype="text/html")
            response.vary.add("Accept-Encoding")
        response.set_etag(etag, weak=True)
        # Browsers keep the page and ask again each time: a 304 costs a phone a few bytes.
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Cookie")
        if lane := current_app.extensions.get("cached_pages_lane"):
            lane.learn(path, request.endpoint)
        return response

    wrapper.cached_page = True
    return wrapper


class StoredAnswer:
    """A stored page as the lane sends it: its validator, its headers, its body."""

    __slots__ = ("etag", "headers", "not_modified", "body")

    def __init__(self, etag: str, headers: list, not_modified: list, body: bytes):
        self.etag = etag
        self.headers = headers
        self.not_modified = not_modified
        self.body = body


class CachedPagesLane:
    """WSGI middleware: a stored page for an anonymous visitor, before Flask runs.

    Wraps ``app.wsgi_app``. It answers only a GET for a path a ``cached_page`` view has
    served in this process, from a visitor who is not signed in or remembered and whose
    session holds nothing personal, whose client takes gzip, and whose page is stored
    under the current catalogue version and day. The answer is the decorator's: the same
    body, validators and headers; it sets no cookie, signs nothing and renders nothing.
    Everything else, and any failure on the way (the database or Redis away), goes to the
    app, which answers as it always does.

    A hit costs a few dictionary lookups: a stored page and its headers are kept in the
    process once the lane has served it (``StoredAnswer``, per key: what is stored under a
    key never goes stale, its version and day are in it), so a hit asks neither the store
    (nor Redis) nor builds headers, and the version is the one pushed to the process
    (``VersionFeed``) when there is one.
    """

    MAX_PATHS = 4096
    MAX_ANSWERS = 256

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._paths: OrderedDict[str, str] = OrderedDict()
        self._lock = Lock()
        self._read_version: VersionReader | None = None
        self._answers: dict[str, StoredAnswer] = {}
        self._answers_from: tuple[object, int] | None = None  # the store and its generation
        self._counters: dict[tuple[str, str], object] = {}

    # --- what the app tells the lane ----------------------------------------------------

    def learn(self, path: str, endpoint: str | None) -> None:
        """Remember that ``path`` is a cached page (of ``endpoint``, for the metrics)."""
        with self._lock:
            self._paths[path] = endpoint or "-"
            self._paths.move_to_end(path)
            while len(self._paths) > self.MAX_PATHS:
                self._paths.popitem(last=False)

    def read_version(self) -> int:
        feed = self.app.extensions.get("version_feed")
        if feed is not None and (version := feed.current()) is not None:
            known_version(self.app).remember(version)
            return version
        if self._read_version is None:
            with self.app.app_context():
                self._read_version = version_reader(self.app, db.engine)
        return known_version(self.app).read(self._read_version)

    def close(self) -> None:
        # The app's reader, which rendered pages may have used without the lane.
        reader = self.app.extensions.get("version_reader")
        if reader is not None:
            reader.close()

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            path = page_path(environ)
            endpoint = self._paths.get(path)
            if endpoint is not None:
                try:
                    answer = self.answer(environ, path)
                except Exception as error:  # the app answers, and reports, the same failure
                    log.warning("page cache lane: %r; the app answers %s", error, path)
                    answer = None
                if answer is not None:
                    status, headers, body = answer
                    self._count(endpoint, status)
                    start_response(status, headers)
                    return [body]
        return self.wsgi_app(environ, start_response)

    def answer(self, environ: dict, path: str) -> tuple[str, list, bytes] | None:
        """The status, headers and body of a cached answer, or None to let the app answer."""
        app = self.app
        if not app.config.get("PAGE_CACHE", True):
            return None
        if not takes_gzip(environ.get("HTTP_ACCEPT_ENCODING")):
            return None  # rare enough to leave to the app (and Flask-Compress)
        cookies: dict | MultiDict = {}
        if environ.get("HTTP_COOKIE"):
            cookies = parse_cookie(environ)
            if not self._anonymous(environ, cookies):
                return None
        query = environ.get("QUERY_STRING", "")
        args = app.request_class(environ).args if f"{LANGUAGE_PARAM}=" in query else None
        locale = visitor_locale(cookies, app.config, args)
        key = page_key(self.read_version(), locale, path)
        store = app.extensions["page_cache"]
        if self._answers_from != (store, store.generation):  # a store emptied (the tests)
            self._answers, self._answers_from = {}, (store, store.generation)
        stored = self._answers.get(key)
        if stored is None:
            body = store.get(key)
            if body is None:
                return None
            stored = self._keep(key, body)
        rid = ("X-Request-ID", request_id(environ))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(stored.etag):
            return "304 NOT MODIFIED", [*stored.not_modified, rid], b""
        return "200 OK", [*stored.headers, rid], stored.body

    def _anonymous(self, environ: dict, cookies) -> bool:
        """Whether a visitor with these cookies sees the page every anonymous visitor sees:
        not remembered (Flask-Login would sign them in), and a session, if any, that holds
        nothing but what changes no public page (a forged one is no session at all)."""
        app = self.app
        if cookies.get(app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
            return False
        sessions = app.session_interface
        if not cookies.get(sessions.get_cookie_name(app)):
            return True
        visitor = sessions.open_session(app, app.request_class(environ))
        csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        return visitor is not None and set(visitor).issubset({csrf_field, *SHAREABLE_SESSION_KEYS})

    def _keep(self, key: str, body: bytes) -> StoredAnswer:
        """The headers of the page stored under ``key``, built once for every hit on it."""
        etag = f'W/"{page_etag(key)}"'
        common = [
            ("ETag", etag),
            ("Cache-Control", "no-cache"),
            *self.app.extensions["security_headers"],
        ]
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Content-Encoding", "gzip"),
            ("Vary", "Accept-Encoding, Cookie"),
            *common,
        ]
        stored = StoredAnswer(etag[2:].strip('"'), headers, [("Vary", "Cookie"), *common], body)
        if len(self._answers) >= self.MAX_ANSWERS:
            self._answers.clear()  # keys of older versions and days: rebuilt on demand
        self._answers[key] = stored
        return stored

    def _count(self, endpoint: str, status: str) -> None:
        counter = self._counters.get((endpoint, status))
        if counter is None:
            metrics = self.app.extensions.get("metrics")
            if metrics is None:
                return
            counter = metrics.cached_pages.labels(endpoint=endpoint, status=status[:3])
            self._counters[(endpoint, status)] = counter
        counter.inc()
