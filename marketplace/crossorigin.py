"""The forms on cached public pages, protected by where a request comes from, not by a token.

A cached public page is the same bytes for every anonymous visitor (``marketplace.pagecache``):
it carries no CSRF token bound to a session, so the page cache answers without opening,
signing or setting anything. The two forms such a page holds, the language switch in the
footer (``site.language``) and "Masukkan keranjang" on a product (``orders.cart_add``), are
protected instead by checking that the browser says the request comes from this site's own
pages. Every other form keeps Flask-WTF's token (``csrf`` in ``marketplace.extensions``).

The check, in this order (the first header present decides):

1. ``Sec-Fetch-Site`` (Fetch Metadata, every browser engine since 2023: Chrome 76, Firefox 90,
   Safari 16.4; a forbidden header, which no page script can set): ``same-origin``, or
   ``none`` (the person's own action, such as a bookmark), is accepted; ``same-site`` and
   ``cross-site`` are refused.
2. ``Origin`` (older browsers): accepted when its host and port are the request's ``Host``
   (behind the proxy, the one ``ProxyFix`` takes from it); ``null`` and any other host are
   refused. Scheme is not compared, as Go does: a proxy that loses the scheme would
   otherwise refuse everybody.
3. ``Referer`` (browsers from before they sent ``Origin`` on a form's POST, such as Firefox
   before 70 and the phones built on it): the same comparison of host and port.
4. None of the three: refused. A browser always sends one of them with a form it submits
   from our page (our ``Referrer-Policy`` keeps the full address for our own pages), so what
   sends none is a script, or a browser whose referrers were turned off; the two actions are
   a page away for both.

This is Go 1.25's ``net/http.CrossOriginProtection`` (src/net/http/csrf.go), with the
Referer fallback and the refusal of a request carrying none of the headers that the OWASP
Cross-Site Request Forgery Prevention Cheat Sheet gives ("Fetch Metadata headers", and
"Verifying origin with standard headers": the Origin, else the Referer, and a request with
neither blocked). Go accepts such a request as a non-browser one; here nothing but a browser
has any business with these two forms, so being strict costs nobody. Safe methods (GET,
HEAD, OPTIONS) never change anything and are not checked. Everything is off with
``WTF_CSRF_ENABLED`` off, like the tokens (the tests turn both on with the ``csrf`` fixture).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext as _

from marketplace.errors import Forbidden
from marketplace.extensions import csrf

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCEPTED_FETCH_SITES = frozenset({"same-origin", "none"})

#: The views protected by origin instead of a token (``module.name``), for the tests that
#: keep the list narrow.
ORIGIN_CHECKED: set[str] = set()


class CrossOriginRefused(Forbidden):
    """A state change that a browser says came from another site's page."""


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(url).netloc.lower() or None
    except ValueError:
        return None


def refusal(headers, host: str) -> str | None:
    """Why a state-changing request with these headers, sent to ``host``, is refused (None:
    it came from this site's own pages)."""
    host = host.lower()
    site = headers.get("Sec-Fetch-Site")
    if site is not None:
        return None if site in ACCEPTED_FETCH_SITES else f"Sec-Fetch-Site: {site}"
    origin = headers.get("Origin")
    if origin is not None:
        return None if _host_of(origin) == host else f"Origin: {origin}"
    referer = headers.get("Referer")
    if referer is not None:
        return None if _host_of(referer) == host else f"Referer from {_host_of(referer)}"
    return "no Sec-Fetch-Site, Origin or Referer"


def same_origin_only(view: Callable) -> Callable:
    """Protect ``view`` by where its requests come from instead of a CSRF token.

    Only for the forms of cached public pages; the view's forms are built without a token
    (``meta={"csrf": False}``).
    """

    @wraps(view)
    def checked(*args, **kwargs):
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            reason = refusal(request.headers, request.host)
            if reason is not None:
                log.warning("refused %s %s: %s", request.method, request.path, reason)
                raise CrossOriginRefused(
                    _(
                        "Permintaan ini tidak datang dari halaman Pasar Oleh-Oleh Kaltara, "
                        "jadi tidak dijalankan. Buka halamannya di situs ini lalu coba lagi."
                    )
                )
        return view(*args, **kwargs)

    ORIGIN_CHECKED.add(f"{checked.__module__}.{checked.__name__}")
    return csrf.exempt(checked)
