"""Request plumbing shared by every blueprint: safe redirects, headers, errors."""

from __future__ import annotations

import copy
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, abort, flash, jsonify, render_template, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import FieldList, FormField

from marketplace.db import db, now_utc, unit_of_work
from marketplace.errors import Forbidden, MarketplaceError, NotFound

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: {media}; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'{checkout}; frame-ancestors 'none'"
)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to, or ``default``: never another site.

    Refuses ``//evil.example``, ``/\\evil.example``, ``https:evil.example`` and
    anything with a scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def raise_page_errors(error: MarketplaceError) -> None:
    """Something that is not there (or not yours) is the page's answer, never a message on
    a form: re-raise it for the app's error page (404, 403), after the caller's rollback."""
    if isinstance(error, NotFound | Forbidden):
        raise error


def flash_error(error: MarketplaceError) -> None:
    """A refusal shown as a message at the top of the next page (each, when several)."""
    raise_page_errors(error)
    for each in error.every():
        flash(str(each.message), "error")


@dataclass
class Outcome:
    """How a view's unit of work ended: ``ok``, or the domain ``error`` already shown."""

    error: MarketplaceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status_code if self.error is not None else 200


@contextmanager
def attempt(
    form=None,
    default_field: str | None = None,
    *,
    shown: bool = True,
    above_form: bool = True,
):
    """The one way a view runs a unit of work: ``with attempt(form) as done: service(...)``.

    The block is one write transaction, taken up front (``db.unit_of_work``): on SQLite a
    second writer waits for the first instead of failing ("database is locked", a 503), and
    on PostgreSQL the block's guarded UPDATEs decide which of two racing requests wins. Its
    writes are committed once at its end. A domain error rolls everything back and is shown
    where it belongs (``show_error``; without a form, as a message); the view reads
    ``done.ok`` (``shown=False``: the view shows ``done.error`` itself). Something that is
    not there (NotFound, Forbidden) is the app's error page, never a message.
    """
    done = Outcome()
    try:
        with unit_of_work():
            yield done
            db.session.commit()
    except MarketplaceError as error:
        db.session.rollback()
        raise_page_errors(error)
        done.error = error
        if not shown:
            return
        if form is None:
            flash_error(error)
        else:
            show_error(form, error, default_field, above_form=above_form)


def show_error(
    form, error: MarketplaceError, default_field: str | None = None, *, above_form: bool = True
) -> None:
    """Put a refusal under the field it is about, else above the form (``form_errors``; with
    ``above_form=False``, for a template that shows none, at the top of the page); the form
    keeps what was typed. The one way a view shows a domain error on a form; nothing of the refused
    unit of work is kept."""
    db.session.rollback()
    raise_page_errors(error)
    for each in error.every():
        target = getattr(form, each.field or default_field or "", None)
        if target is not None and isinstance(getattr(target, "errors", None), list):
            target.errors = [*target.errors, str(each.message)]
        elif above_form and isinstance(getattr(form, "form_errors", None), list):
            form.form_errors.append(str(each.message))
        else:
            flash(str(each.message), "error")


def validate_with(form, check: Callable[[], object]) -> bool:
    """The form's own validators and the domain's rules, together, so that one answer names
    every problem: ``check`` (which writes nothing) raises the domain's refusals, which land
    under the fields that have no error of their own yet. True when both are content."""
    valid = form.validate()
    try:
        check()
    except MarketplaceError as error:
        raise_page_errors(error)
        said = {name for name, field in form._fields.items() if field.errors}
        for each in error.every():
            target = getattr(form, each.field or "", None)
            if each.field in said:
                continue
            if target is not None:
                target.errors = [*target.errors, str(each.message)]
            else:
                form.form_errors.append(str(each.message))
        return False
    return valid


@dataclass(frozen=True)
class Problem:
    """One field's error for the summary at the top of a page: where it is and what."""

    anchor: str | None
    label: str
    message: str


def form_problems(form) -> list[Problem]:
    """Every field error of ``form`` (rows of lists included), in the order of the page.

    ``base.html`` lists them at the top, each linking to its field, so a phone that shows
    one field at a time still learns of every problem at once. Errors that belong to no
    field (``form_errors``) are already shown above the form.
    """
    if form is None or not hasattr(form, "_fields"):
        return []
    problems: list[Problem] = []
    for field in form:
        problems.extend(_field_problems(field, field.label.text))
    return problems


def _field_problems(field, label: str | Callable[[], str]) -> list[Problem]:
    """``field``'s problems, each under ``label``: a text, or how to write it, asked only
    when there is a problem (a page of rows would translate every row's label otherwise)."""
    if isinstance(field, FieldList):
        own = [str(m) for m in field.errors if not isinstance(m, dict | list | tuple)]
        found = [Problem(field.id, _written(label), m) for m in own]
        for row, entry in enumerate(field.entries, start=1):
            found.extend(_field_problems(entry, partial(_row_label, label, row)))
        return found
    if isinstance(field, FormField):
        return [p for sub in field for p in _field_problems(sub, partial(_sub_label, label, sub))]
    messages = [str(m) for m in field.errors if not isinstance(m, dict | list | tuple)]
    if not messages:
        return []
    anchor = None if field.type in ("HiddenField", "CSRFTokenField") else field.id
    if field.type == "RadioField":
        anchor = f"{field.id}-0"  # a group of options: its first one
    return [Problem(anchor, _written(label), m) for m in messages]


def _written(label: str | Callable[[], str]) -> str:
    return label() if callable(label) else label


def _row_label(label: str | Callable[[], str], row: int) -> str:
    return _("%(label)s, baris %(n)s", label=_written(label), n=row)


def _sub_label(label: str | Callable[[], str], sub) -> str:
    return f"{_written(label)}: {sub.label.text}"


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, each cookie verified once per process.

    Flask builds a new serializer to open and again to save every session; an anonymous
    visitor's first page pays both. The serializer keeps no state between uses, so one
    per set of keys serves every request; a changed ``SECRET_KEY`` gets a new one.

    A visitor sends the same cookie page after page until the session changes, and
    opening it (the signature, zlib, the tagged JSON) costs a signed-in page more than
    anything else Flask does for it. The same string verifies to the same contents, so a
    cookie verified once is kept with what it holds and when it was signed (up to
    ``KEPT`` cookies, the oldest forgotten first); each later request gets its own copy
    and the age is checked again. Whatever a cookie says is still only a claim: the user
    it names is read from the database on every request (``accounts.identity``).
    """

    #: verified cookies kept per process: a signed-in visitor's is about 300 bytes, and a
    #: browser keeps none over 4 KB, so a few MB at the very most
    KEPT = 2048

    def get_signing_serializer(self, app: Flask):
        return self._keys(app)[1]

    def _keys(self, app: Flask) -> tuple[tuple, Any, OrderedDict[str, tuple[Any, int]]]:
        """The keys, their serializer and the cookies verified with them."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app), OrderedDict())
            self._serializer = cached
        return cached

    def open_session(self, app: Flask, request):
        _keys, serializer, verified = self._keys(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = verified.get(value)
        if kept is None:
            try:
                data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            kept = verified[value] = (data, int(signed.timestamp()))
            if len(verified) > self.KEPT:
                # one call, whole under the GIL: threads of one worker may race here
                with suppress(KeyError):
                    verified.popitem(last=False)
        data, signed_at = kept
        if not 0 <= int(time.time()) - signed_at <= max_age:
            # as itsdangerous refuses it: too old, or signed in the future
            verified.pop(value, None)
            return self.session_class()
        return self.session_class(copy.deepcopy(data))


def register_security_headers(app: Flask) -> None:
    media = app.config.get("MEDIA_URL") or ""
    media_origin = ""
    if media:
        parts = urlsplit(media)
        media_origin = f"{parts.scheme}://{parts.netloc}"
    # "Buy and pay" posts a form whose redirects end on Stripe Checkout: form-action
    # governs those redirects too, so it names Stripe's page (or the stand-in's).
    checkout = ""
    if app.config.get("STRIPE_SECRET_KEY"):
        base = urlsplit(app.config.get("STRIPE_API_BASE") or "https://checkout.stripe.com")
        checkout = f" {base.scheme}://{base.netloc}"
    policy = CONTENT_SECURITY_POLICY.format(media=media_origin, checkout=checkout).replace(
        "  ", " "
    )

    headers = (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(self), geolocation=()"),
    )
    # The page cache's lane sends the same ones with the pages it answers itself.
    app.extensions["security_headers"] = headers

    lowered = tuple((name.lower(), name, value) for name, value in headers)

    @app.after_request
    def set_headers(response):
        # What ``setdefault`` per header does, with the response's headers read once.
        present = {name.lower() for name, _ in response.headers}
        for low, name, value in lowered:
            if low not in present:
                response.headers.add(name, value)
        return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _holds_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def _json_holds_nul(document) -> bool:
    """A NUL (``"\\u0000"`` in JSON) anywhere in a JSON document's strings or keys; walked
    without recursion, as deep as the parser read it."""
    waiting = [document]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            waiting.extend(value.keys())
            waiting.extend(value.values())
        elif isinstance(value, list):
            waiting.extend(value)
    return False


def register_nul_guard(app: Flask) -> None:
    """A NUL byte is dealt with before any view reads it.

    PostgreSQL text cannot hold one (the driver raises, a 500) and no keyboard types it:
    a path with one names nothing (404), a query string's are dropped (a filter or search
    reads what is left), a form or a JSON body with one is refused (400).
    """

    @app.before_request
    def refuse_nul_bytes():
        if "\x00" in request.path:
            abort(404)
        # A NUL reaches the arguments only as "%00" (or itself) in the query string: most
        # requests are cleared without decoding and walking the arguments.
        query = request.query_string
        if (b"%00" in query or b"\x00" in query) and _holds_nul(request.args):
            request.args = ImmutableMultiDict(
                (key.replace("\x00", ""), value.replace("\x00", ""))
                for key, value in request.args.items(multi=True)
            )
        if request.mimetype in FORM_TYPES and _holds_nul(request.form):
            abort(400)
        # parsed once: the view reads the same document (a push subscription, a webhook)
        if request.is_json:
            try:
                document = request.get_json(silent=True)
            except RecursionError:  # nested past what the parser reads: not a document
                abort(400)
            if _json_holds_nul(document):
                abort(400)


def error_page(code: int, message: str) -> tuple[Any, int]:
    """The page that tells a visitor what went wrong, with the site's header and links.

    A request whose host werkzeug refused (a label of 64 characters, ``a..b``) has no
    address of the site to write links with: it is told the message alone, as text.
    """
    if request_ctx.url_adapter is None:
        return Response(message, mimetype="text/plain"), code
    return render_template("errors/error.html", code=code, message=message), code


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        return error_page(
            400, _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")
        )

    @app.errorhandler(MarketplaceError)
    def domain_error(error):
        db.session.rollback()
        return error_page(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/healthz"):
            return jsonify(status="error", reason=error.name), error.code
        messages = {
            400: _("Permintaan tidak dapat diproses."),
            403: _("Anda tidak punya akses ke halaman ini."),
            404: _("Halaman yang Anda cari tidak ada."),
            405: _("Cara permintaan ini tidak didukung."),
            413: _(
                "Kiriman terlalu besar (paling banyak 16 MB sekali kirim). "
                "Kembali, lalu kirim lebih sedikit foto sekaligus."
            ),
            429: _("Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi."),
        }
        return error_page(error.code, messages.get(error.code, error.description))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        # The database is down, restarting or busy: nothing was written (the transaction
        # went with the connection). Say so; the pool reconnects on a later request.
        with suppress(OperationalError, InterfaceError):
            db.session.rollback()
        page, code = error_page(
            503, _("Layanan sedang tidak tersedia sebentar. Coba lagi dalam satu menit.")
        )
        return page, code, {"Retry-After": "30"}

    @app.teardown_appcontext
    def end_the_session_even_without_the_database(error):
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier). A connection
        # killed after the answer was made fails the final ROLLBACK; nothing was pending,
        # the pool has dropped that connection, and the answer stands: not a 500.
        try:
            db.session.remove()
        except (OperationalError, InterfaceError) as lost:
            log.warning("database connection lost at the end of a request: %s", lost.orig)
            with suppress(OperationalError, InterfaceError):
                db.session.remove()

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_page(500, _("Maaf, terjadi kesalahan di pihak kami. Silakan coba lagi."))


@cache
def _file_version(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def register_static_versions(app: Flask) -> None:
    """Give static URLs a content version, so they may be cached for a year; send them whole.

    Flask sends a static file as a stream, which Flask-Compress compresses only with its
    streaming choices (no gzip) and without closing the file. The files are small (the
    style sheet, a script, icons): read whole, they are compressed like a page, br or gzip.
    """

    @app.after_request
    def send_static_whole(response):
        # after_request hooks run last-registered first: this one before Flask-Compress's.
        if request.endpoint == "static" and response.status_code == 200 and response.is_streamed:
            response.direct_passthrough = False
            response.make_sequence()  # reads the file, and closes it with the response
        return response

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            path = Path(app.static_folder) / values["filename"]
            if path.is_file():
                values["v"] = _file_version(str(path))


LANGUAGE_COOKIE = "lang"


#: where a visitor's session keeps the shared link it came through: code, until (epoch s),
#: and a random token that tells a reload from another visitor
REFERRAL_SESSION_KEY = "ref"
#: how long an order is still counted for the share that brought the buyer
REFERRAL_DAYS = 7


def remember_referral(session, code: str, now: float) -> str:
    """Keep the reference of the shared link a visitor arrived through (the latest wins);
    returns the visitor's token."""
    kept = session.get(REFERRAL_SESSION_KEY)
    token = kept.get("visitor") if isinstance(kept, dict) else None
    if not isinstance(token, str):
        token = secrets.token_urlsafe(12)
    session[REFERRAL_SESSION_KEY] = {
        "code": code,
        "until": int(now) + REFERRAL_DAYS * 24 * 3600,
        "visitor": token,
    }
    return token


def referral_in(session, now: float | None = None) -> str | None:
    """The reference a visitor arrived through, if it is still to be counted."""
    kept = session.get(REFERRAL_SESSION_KEY)
    if not isinstance(kept, dict):
        return None
    code, until = kept.get("code"), kept.get("until")
    if not isinstance(code, str) or not isinstance(until, int):
        return None
    return code if (now if now is not None else now_utc().timestamp()) < until else None


#: ``?hl=en``: the URL of a page in a language (what hreflang links point to)
LANGUAGE_PARAM = "hl"


def url_locale(args, config) -> str | None:
    """The language a URL names (``?hl=en``), if it names one the site speaks."""
    named = args.get(LANGUAGE_PARAM) if args is not None else None
    return named if named in config["LANGUAGES"] else None


def without_language(url: str) -> str:
    """``url`` without its ``?hl=``: after choosing a language, the page follows the choice."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != LANGUAGE_PARAM
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def visitor_locale(cookies, config, args=None) -> str:
    """A visitor's language without an account: the URL's, the cookie's, else Indonesian."""
    if named := url_locale(args, config):
        return named
    chosen = cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def register_proxy_fix(app: Flask) -> None:
    """Behind nginx (deploy/nginx.conf), take the visitor's address, scheme and host from it.

    ``PROXY_HOPS`` proxies add to X-Forwarded-For (nginx alone: 1; a load balancer before
    it: 2); the last of them set X-Forwarded-Proto and -Host. Only those values are
    trusted: a visitor's own X-Forwarded-For is further left and ignored, so the sign-in
    limits per address count the real address. With 0 (the default) no header is trusted.
    """
    hops = app.config.get("PROXY_HOPS") or 0
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1, x_host=1)
