"""The request's locale, its name and its translations, found without Flask's proxies.

Flask-Babel keeps the locale it selected on ``g._flask_babel``; its ``get_locale`` reaches
it through ``g``, a context-local proxy, three times per call, and writing the locale's name
(``str``) builds it again each time. A page asks for them some hundred times (every ``_()``,
every date, every kept fragment's key). These read the same namespace straight from the
application context and keep the name and the catalogue beside the locale they belong to,
so a locale switched mid-request (``flask_babel.force_locale``, a mail in its reader's
language) is followed at once. Before Flask-Babel has selected a locale, or outside an
application context, they ask Flask-Babel as before.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations


def _babel_namespace() -> Any:
    """Flask-Babel's namespace of the current context (``g._flask_babel``), or None."""
    context = _cv_app.get(None)
    if context is None:
        return None
    return context.g.__dict__.get("_flask_babel")


def N_(message: str) -> str:  # noqa: N802 (Babel's own keyword, which extraction knows)
    """``message`` marked for the catalogue, not translated: what is stored in Indonesian
    whoever's request wrote it (a note, a closed account's name), translated when shown."""
    return message


def current_locale() -> Locale | None:
    """What ``flask_babel.get_locale()`` answers, read directly once selected."""
    found = _babel_namespace()
    if found is not None:
        locale = getattr(found, "babel_locale", None)
        if locale is not None:
            return locale
    return get_locale()


def current_language() -> str:
    """The locale's name (``"id"``, ``"en"``): ``str(get_locale())``, written once."""
    found = _babel_namespace()
    if found is not None:
        # the common case, asked a hundred times a page: the name kept beside its locale
        kept = vars(found)
        named = kept.get("marketplace_language")
        if named is not None and named[0] is kept.get("babel_locale") is not None:
            return named[1]
    locale = current_locale()
    found = _babel_namespace()
    if found is None or locale is None:
        return str(locale)
    named = getattr(found, "marketplace_language", None)
    if named is None or named[0] is not locale:
        named = found.marketplace_language = (locale, str(locale))
    return named[1]


def current_translations() -> Any:
    """What ``flask_babel.get_translations()`` answers, looked up once per locale."""
    locale = current_locale()
    found = _babel_namespace()
    if found is None or locale is None:
        return get_translations()
    kept = getattr(found, "marketplace_translations", None)
    if kept is None or kept[0] is not locale:
        kept = found.marketplace_translations = (locale, get_translations())
    return kept[1]
