"""Cached public pages for anonymous visitors, with HTTP validators.

What an anonymous visitor sees of the home, list, search, product and shop
pages depends only on the URL, the language and the catalogue. The rendered
HTML is kept under a key holding the catalogue version (``catalog_state``),
which moves in the same transaction as any change to a listing, price or
stock; so a cached page is never older than the catalogue, in any process.

Forms on those pages carry a CSRF token bound to the visitor's session: the
token is cut out before storing and the visitor's own put back when serving.
The page is kept gzip-compressed as well, in pieces around the token, so a hit
is served compressed without compressing it again (see ``GzipPieces``).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections import OrderedDict
from functools import wraps
from threading import Lock

from flask import Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Connection, event, update
from sqlalchemy.orm import Session

from marketplace.db import db

CSRF_PLACEHOLDER = "\x00csrf-token\x00"
#: What in a session shows on a public page (a flashed message, the cart's count in the
#: header): a visitor carrying any of it gets the page rendered for them.
PERSONAL_SESSION_KEYS = ("_flashes", "cart")
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
    """Pages shared by every process and machine when ``REDIS_URL`` is set."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url)

    def get(self, key: str) -> bytes | None:
        return self._redis.get(key)

    def set(self, key: str, value: bytes) -> None:
        self._redis.set(key, value, ex=CACHE_TTL_SECONDS)

    def clear(self) -> None:
        for key in self._redis.scan_iter("page:*"):
            self._redis.delete(key)


def init_page_cache(app) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["page_cache"] = RedisStore(url) if url else MemoryStore()


VERSION_SQL = "SELECT version FROM catalog_state WHERE id = 1"


def catalog_version() -> int:
    """The catalogue's version, read from the database (the truth) on every cached hit.

    A plain statement, not an ORM query: compiling one costs more than running it. When
    the request's session holds no connection yet (a cached hit), it is read on a pooled
    connection of its own, without beginning and ending an ORM session transaction.
    """
    session = db.session()
    if session.in_transaction():
        return session.connection().exec_driver_sql(VERSION_SQL).scalar() or 0
    bind = session.get_bind()
    if isinstance(bind, Connection):  # a session bound to one connection (the tests)
        return bind.exec_driver_sql(VERSION_SQL).scalar() or 0
    with bind.connect() as connection:
        return connection.exec_driver_sql(VERSION_SQL).scalar() or 0


def bump_catalog_version(session: Session | None = None) -> None:
    """Move the version; call after changing catalogue rows with Core statements."""
    from marketplace.catalog.models import CatalogState

    state = CatalogState.__table__
    # On the connection, not the session: this runs inside flushes, where a session
    # statement would try to flush again.
    (session or db.session).connection().execute(
        update(state).where(state.c.id == 1).values(version=state.c.version + 1)
    )


def _touches_catalogue(session: Session) -> bool:
    from marketplace.catalog.models import Category, Product, ProductPhoto, Region
    from marketplace.pkk.models import OfficialGift
    from marketplace.sellers.models import Seller

    watched = (Product, ProductPhoto, Seller, Category, Region, OfficialGift)
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, watched):
            return True
    return any(isinstance(obj, watched) and session.is_modified(obj) for obj in session.dirty)


@event.listens_for(Session, "before_flush")
def _bump_on_catalogue_change(session, flush_context, instances):
    # In the flush's own transaction: the new version commits with the change, or neither.
    if _touches_catalogue(session):
        bump_catalog_version(session)


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
        key = f"page:{catalog_version()}:{get_locale()}:{request.full_path}"
        etag = hashlib.sha256(key.encode()).hexdigest()[:32]
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
        return response

    wrapper.cached_page = True
    return wrapper
