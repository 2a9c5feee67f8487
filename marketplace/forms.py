"""The base of every form: Flask-WTF's, speaking the visitor's language.

WTForms has no Indonesian catalogue, so its own messages ("This field is required.",
"Not a valid date value.") reached Indonesian pages in English. Ours are in
``translations/id/LC_MESSAGES/wtforms.po``; an English page keeps WTForms' words.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from babel import support
from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.widgets import DateInput

from marketplace.config import PROJECT_ROOT
from marketplace.locales import current_language

CATALOGUES = PROJECT_ROOT / "translations"


@cache
def _catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(str(CATALOGUES), [locale], domain="wtforms")


class _Messages:
    """WTForms' gettext, in the locale of the request (English outside one)."""

    def _current(self) -> support.NullTranslations | None:
        return _catalogue(current_language()) if has_request_context() else None

    def gettext(self, string: str) -> str:
        catalogue = self._current()
        return string if catalogue is None else catalogue.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalogue = self._current()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ngettext(singular, plural, n)


MESSAGES = _Messages()


class Form(FlaskForm):
    """Every form of the marketplace derives from this one."""

    class Meta:
        def get_translations(self, form):
            return MESSAGES


class LocalDateField(Field):
    """A date from the phone's date picker (YYYY-MM-DD), refused in Indonesian."""

    widget = DateInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        try:
            self.data = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("Tulis tanggal seperti 2026-11-29.")) from None
