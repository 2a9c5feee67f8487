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

import re
from typing import Any

from babel import Locale
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations, gettext


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


#: messages the platform stores in Indonesian (a history's note), each with what its
#: stored text looks like (a value: any text), for ``shown`` to read back
STORED: dict[str, re.Pattern[str]] = {}


def stored_messages(*messages: str) -> None:
    """Let ``shown`` read back texts written from ``messages`` (each marked with ``N_``)."""
    for message in messages:
        parts = re.split(r"%\((\w+)\)s", message)
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.*)"
            for index, part in enumerate(parts)
        )
        STORED[message] = re.compile(pattern, re.S)


def written(message: str, /, **values: object) -> str:
    """The text to store: ``message`` with its ``values``, in Indonesian whoever asked."""
    return message % values if values else message


def shown(text: str) -> str:
    """A stored text in the reader's language when the platform wrote it from one of the
    ``stored_messages``, else as a person typed it (the templates' filter ``stored_note``)."""
    if text:
        for message, pattern in STORED.items():
            if matched := pattern.fullmatch(text):
                return gettext(message, **matched.groupdict())
    return text


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
