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

Forms on those pages carry a CSRF token bound to the visitor's session: the
token is cut out before storing and the visitor's own put back when serving.
The page is kept gzip-compressed as well, in pieces around the token, so a hit
is served compressed without compressing it again (see ``GzipPieces``).

Two ways in. The ``cached_page`` view decorator renders, stores and serves inside
Flask. In front of the app, ``CachedPagesLane`` answers a repeated anonymous visit
from the store before Flask sets up a request at all (no request context, hooks,
login, limiter or template), with the same headers, token and cookie the decorator
would give; anything it is not sure of goes to the app.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import zlib
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
    session,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import dump_cookie, parse_accept_header

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
    version_feed,
    watch,
)
from marketplace.db import db, today_local
from marketplace.observability import request_id
from marketplace.web import visitor_locale

log = logging.getLogger(__name__)

CSRF_PLACEHOLDER = "\x00csrf-token\x00"
#: What in a session shows on a public page (a flashed message, the cart's count in the
#: header): a visitor carrying any of it gets the page rendered for them.
PERSONAL_SESSION_KEYS = ("_flashes", "cart")
#: All a session may hold for the lane to answer (besides the CSRF token): Flask's
#: permanence flag and Flask-Login's freshness mark for a visitor who is not signed in.
#: session keys that change nothing a public page shows (``ref``: the shared link a visitor
#: came through, web.REFERRAL_SESSION_KEY), so the lane may still answer such a visitor
SHAREABLE_SESSION_KEYS = ("_permanent", "_fresh", "ref")
CACHE_TTL_SECONDS = 24 * 3600


class MemoryStore:
    """A bounded in-process store: correct across processes because keys carry the version."""

    def __init__(self, max_entries: int = 1024):
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._max = max_entries
        self._lock = Lock()

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


def page_key(version: int, locale: str, path: str) -> str:
    """Where a page is stored now: the catalogue version, today (WITA), language, URL."""
    return f"page:{version}:{today_local().isoformat()}:{locale}:{path}"


def page_etag(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not any(session.get(key) for key in PERSONAL_SESSION_KEYS)
        and current_app.config.get("PAGE_CACHE", True)
    )


class GzipPieces:
    """A page's text in pieces around its CSRF tokens, each piece also gzip-compressed once.

    A gzip body is a header, a deflate stream and a trailer (CRC-32 and length). Each
    piece is deflated on its own and ends on a byte boundary (a sync flush), so pieces
    can follow each other in one stream; a visitor's token goes between them as a
    "stored" (uncompressed) deflate block, a final empty block closes the stream, and
    the trailer is computed over the whole text. RFC 1951 section 3.2.4, RFC 1952.
    """

    HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, OS unknown
    FINAL_EMPTY_BLOCK = b"\x03\x00"
    LEVEL = 6

    def __init__(self, texts: list[bytes], deflated: list[bytes]):
        self.texts = texts
        self.deflated = deflated

    @classmethod
    def make(cls, body: bytes) -> GzipPieces:
        texts = body.split(CSRF_PLACEHOLDER.encode())
        deflated = []
        for text in texts:
            compressor = zlib.compressobj(cls.LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
            deflated.append(compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH))
        return cls(texts, deflated)

    def dumps(self) -> bytes:
        parts = [*self.texts, *self.deflated]
        return struct.pack(f"<{len(parts) + 1}I", len(parts), *map(len, parts)) + b"".join(parts)

    @classmethod
    def loads(cls, data: bytes) -> GzipPieces:
        (count,) = struct.unpack_from("<I", data)
        lengths = struct.unpack_from(f"<{count}I", data, 4)
        parts, offset = [], 4 * (count + 1)
        for length in lengths:
            parts.append(data[offset : offset + length])
            offset += length
        return cls(parts[: count // 2], parts[count // 2 :])

    @property
    def needs_token(self) -> bool:
        return len(self.texts) > 1

    def text(self, token: bytes = b"") -> bytes:
        return token.join(self.texts)

    def gzip(self, token: bytes = b"") -> bytes:
        stored = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF) + token
        crc = zlib.crc32(self.texts[0])
        for text in self.texts[1:]:
            crc = zlib.crc32(text, zlib.crc32(token, crc))
        size = sum(map(len, self.texts)) + len(token) * (len(self.texts) - 1)
        trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
        return b"".join((self.HEADER, stored.join(self.deflated), self.FINAL_EMPTY_BLOCK, trailer))


def cached_page(view):
    """Serve ``view`` from the page cache for anonymous visitors."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        store = current_app.extensions["page_cache"]
        path = page_path(request.environ)
        key = page_key(catalog_version(), str(get_locale()), path)
        etag = page_etag(key)
        if request.if_none_match.contains_weak(etag):
            response = make_response("", 304)
        else:
            stored = store.get(key)
            if stored is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                body = response.get_data()
                token = g.get("csrf_token")
                if token:
                    body = body.replace(token.encode(), CSRF_PLACEHOLDER.encode())
                pieces = GzipPieces.make(body)
                store.set(key, pieces.dumps())
            else:
                pieces = GzipPieces.loads(stored)
            token = generate_csrf().encode() if pieces.needs_token else b""
            if request.accept_encodings["gzip"]:
                response = Response(pieces.gzip(token), mimetype="text/html")
                response.headers["Content-Encoding"] = "gzip"
            else:
                response = Response(pieces.text(token), mimetype="text/html")
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


class CachedPagesLane:
    """WSGI middleware: a stored page for an anonymous visitor, before Flask runs.

    Wraps ``app.wsgi_app``. It answers only a GET for a path a ``cached_page`` view has
    served in this process, from a visitor who is not signed in or remembered and whose
    session holds nothing personal, whose client takes gzip, and whose page is stored
    under the current catalogue version and day. The answer is the decorator's: the same
    body with the visitor's own CSRF token, the same validators and headers, and the
    session cookie that holds the token for a new visitor. Everything else, and any failure on
    the way (the database or Redis away), goes to the app, which answers as it always
    does.
    """

    MAX_PATHS = 4096

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._paths: OrderedDict[str, str] = OrderedDict()
        self._lock = Lock()
        self._read_version: VersionReader | None = None
        self._csrf_signer: tuple[str, URLSafeTimedSerializer] | None = None

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
                self._read_version = VersionReader(db.engine)
        return known_version(self.app).read(self._read_version)

    def close(self) -> None:
        if self._read_version is not None:
            self._read_version.close()

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
        if not parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))["gzip"]:
            return None  # rare enough to leave to the app (and Flask-Compress)
        request = app.request_class(environ)
        cookies = request.cookies
        if cookies.get(app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
            return None  # Flask-Login would sign this visitor in
        sessions = app.session_interface
        visitor = sessions.open_session(app, request)
        csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        if visitor is None or not set(visitor).issubset({csrf_field, *SHAREABLE_SESSION_KEYS}):
            return None  # signed in, a cart, a message, a note for Flask-Login: the app's
        locale = visitor_locale(cookies, app.config, request.args)
        key = page_key(self.read_version(), locale, path)
        etag = page_etag(key)
        headers = [
            ("ETag", f'W/"{etag}"'),
            ("Cache-Control", "no-cache"),
            *app.extensions["security_headers"],
            ("X-Request-ID", request_id(environ)),
        ]
        if request.if_none_match.contains_weak(etag):
            return "304 NOT MODIFIED", [("Vary", "Cookie"), *headers], b""
        stored = app.extensions["page_cache"].get(key)
        if stored is None:
            return None
        pieces = GzipPieces.loads(stored)
        token = self._csrf_token(visitor).encode() if pieces.needs_token else b""
        body = pieces.gzip(token)
        headers[:0] = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Content-Encoding", "gzip"),
            ("Vary", "Accept-Encoding, Cookie"),
        ]
        if visitor and sessions.should_set_cookie(app, visitor):
            headers.append(("Set-Cookie", self._session_cookie(visitor)))
        return "200 OK", headers, body

    # --- the pieces Flask, Flask-WTF and Flask-Login would otherwise provide -----------

    def _csrf_token(self, visitor) -> str:
        """Flask-WTF's ``generate_csrf``: the session's raw token, signed with a timestamp."""
        config = self.app.config
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        if field not in visitor:
            visitor[field] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (as Flask-WTF)
        secret = config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        if self._csrf_signer is None or self._csrf_signer[0] != secret:
            self._csrf_signer = (secret, URLSafeTimedSerializer(secret, salt="wtf-csrf-token"))
        return self._csrf_signer[1].dumps(visitor[field])

    def _session_cookie(self, visitor) -> str:
        """The Set-Cookie value Flask's ``save_session`` would send."""
        app, sessions = self.app, self.app.session_interface
        return dump_cookie(
            sessions.get_cookie_name(app),
            sessions.get_signing_serializer(app).dumps(dict(visitor)),
            expires=sessions.get_expiration_time(app, visitor),
            path=sessions.get_cookie_path(app),
            domain=sessions.get_cookie_domain(app),
            secure=sessions.get_cookie_secure(app),
            httponly=sessions.get_cookie_httponly(app),
            samesite=sessions.get_cookie_samesite(app),
            partitioned=sessions.get_cookie_partitioned(app),
            max_size=app.config.get("MAX_COOKIE_SIZE", 4093),
        )

    def _count(self, endpoint: str, status: str) -> None:
        if metrics := self.app.extensions.get("metrics"):
            metrics.cached_pages.labels(endpoint=endpoint, status=status[:3]).inc()
