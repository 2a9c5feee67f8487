"""The base of every form: Flask-WTF's, speaking the visitor's language.

WTForms has no Indonesian catalogue, so its own messages ("This field is required.",
"Not a valid date value.") reached Indonesian pages in English. Ours are in
``translations/id/LC_MESSAGES/wtforms.po``; an English page keeps WTForms' words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from functools import cache

from babel import support
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, HiddenField, SelectChoice
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.core import Flags, Label, UnboundField
from wtforms.validators import InputRequired, StopValidation
from wtforms.widgets import DateInput, Input, NumberInput, Select, TextArea
from wtforms.widgets.core import clean_key

from marketplace.config import PROJECT_ROOT
from marketplace.db import DATE_YEARS
from marketplace.locales import current_language, current_translations

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


def _translated(string: str, **variables) -> str:
    """What Flask-Babel's ``gettext`` answers, from the request's catalogue found once
    (``locales.current_translations``) rather than through ``g`` at every call."""
    found = current_translations().ugettext(string)
    return found % variables if variables else found


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext``, the same text, translated by ``_translated``: a
    form's labels and hints are translated again every time a page writes them."""
    return LazyString(_translated, string, **variables)


#: what markupsafe's ``escape`` replaces in a plain ``str``, as it writes each, in one call
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def _escaped(text: str) -> str:
    """``str(escape(text))`` of a plain ``str``: most have nothing to escape (names, ids,
    numbers), and looking costs a fifth of ``translate``'s table walk."""
    if "&" in text or "<" in text or ">" in text or "'" in text or '"' in text:
        return text.translate(_ESCAPES)
    return text


def _text(value) -> str:
    """``escape(value)``, the same text: a plain ``str`` or ``Markup`` (the usual values of
    a field's attributes, labels and hints) without markupsafe's four calls."""
    kind = type(value)
    if kind is str:
        return _escaped(value)
    if kind is Markup:
        return value
    return escape(value)


#: attribute names as ``html_params`` writes them (WTForms' ``clean_key``): bare (a flag)
#: and escaped (with a value); the names the code and templates give, a few dozen
_KEYS: dict[str, tuple[str, str]] = {}


def _written_key(key: str) -> tuple[str, str]:
    found = _KEYS.get(key)
    if found is None:
        clean = clean_key(key)
        found = (clean, str(escape(clean)))
        if len(_KEYS) < 1024:
            _KEYS[key] = found
    return found


def html_params(**kwargs) -> str:
    """WTForms' ``html_params``, the same text, without a string formatter per attribute
    and with the names written once (a page of fields spent a good part of its time there)."""
    params = []
    for key in sorted(kwargs):
        value = kwargs[key]
        if value is True:
            params.append(_written_key(key)[0])
        elif value is not False:
            kind = type(value)
            if kind is str:
                text = _escaped(value)
            elif kind is int:
                text = str(value)
            else:  # Markup's own quotes too, as WTForms writes them
                text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{_written_key(key)[1]}="{text}"')
    return " ".join(params)


def _render_input(widget: Input, field: Field, kwargs: dict) -> Markup:
    """``Input.__call__`` (and ``NumberInput``'s bounds) with the cheaper ``html_params``:
    the same markup, byte for byte (tests/test_forms.py compares them)."""
    if type(widget).__call__ is NumberInput.__call__:
        for bound in ("step", "min", "max"):
            if (value := getattr(widget, bound)) is not None:
                kwargs.setdefault(bound, value)
    kwargs.setdefault("id", field.id)
    kwargs.setdefault("type", widget.input_type)
    if "value" not in kwargs:
        kwargs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in kwargs:
        kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in kwargs:
            value = flags[name]
            kwargs[name] = value() if callable(value) else value
    return Markup(f"<input {html_params(name=field.name, **kwargs)}>")  # noqa: S704 (escaped)


def _render_date_input(widget: Input, field: Field, kwargs: dict) -> Markup:
    """WTForms' date inputs' ``__call__`` (their bounds written in the field's format), then
    ``Input``'s, as ``_render_input`` writes it."""
    format = getattr(field, "format", None)
    if format is not None:
        format = format[0] if isinstance(format, list) else format
        for bound in ("min", "max"):
            value = kwargs.get(bound, getattr(field.flags, bound, None))
            if callable(value):
                value = value()
            if hasattr(value, "strftime"):
                kwargs[bound] = value.strftime(format)
    return _render_input(widget, field, kwargs)


def _render_textarea(widget: TextArea, field: Field, kwargs: dict) -> Markup:
    """``TextArea.__call__`` with the cheaper ``html_params``: the same markup."""
    kwargs.setdefault("id", field.id)
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in kwargs:
            kwargs[name] = flags[name]
    params = html_params(name=field.name, **kwargs)
    return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")  # noqa: S704


#: the widgets written here rather than by WTForms, by the ``__call__`` their class has:
#: ``<input>`` (text, hidden, tel, number, date...) and ``<textarea>``
_RENDERERS = {
    Input.__call__: _render_input,
    NumberInput.__call__: _render_input,
    DateInput.__call__: _render_date_input,  # and every other date and time input
    TextArea.__call__: _render_textarea,
}


class WrittenChoices(list):
    """A select's choices (``SelectChoice``: no groups, no attributes) with their options
    written once (``WrittenSelect``), each beside its value as ``coerce`` reads it: a list
    that does not change between requests (a catalogue version's categories)."""

    def __init__(self, choices: list[SelectChoice], coerce) -> None:
        super().__init__(choices)
        self.coerce = coerce
        written = []
        for choice in choices:
            value = choice.value
            label = escape(choice.label or value)
            # html_params' order: "selected" before "value"; the value escaped as it escapes
            plain = f'<option value="{escape(value)}">{label}</option>'
            chosen = f'<option selected value="{escape(value)}">{label}</option>'
            written.append((coerce(value), plain, chosen))
        self.written = tuple(written)


class WrittenSelect(Select):
    """WTForms' select, its options from ``WrittenChoices`` and the chosen one marked
    (WTForms marks each whose coerced value is the data): the same markup."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        if not isinstance(choices, WrittenChoices) or choices.coerce is not field.coerce:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        data = field.data
        options = "".join(
            chosen if value == data else plain for value, plain, chosen in choices.written
        )
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704


def radio_options(field) -> list[Markup]:
    """Each radio button of a ``RadioField`` with its label, as iterating the field and
    writing ``option()`` and ``option.label`` writes them, without a field per option."""
    if field.validators or field.render_kw or field.has_groups():
        return [Markup(f"{option()} {option.label}") for option in field]  # noqa: S704
    written = []
    for index, choice in enumerate(field.iter_choices()):
        option_id = f"{field.id}-{index}"
        button = html_params(
            checked=bool(choice.selected),
            id=option_id,
            name=field.name,
            type="radio",
            value=str(choice.value),
        )
        label = escape(choice.label or choice.value)
        written.append(Markup(f'<input {button}> <label for="{option_id}">{label}</label>'))  # noqa: S704
    return written


def field_html(field: Field, autocomplete=None, inputmode=None) -> Markup:
    """A field with its label, hint and errors: what the ``field`` macro of
    ``templates/_macros.html`` writes, byte for byte (the blank lines were its ``set`` and
    ``if`` lines), written in one call rather than by some fifteen of the template's."""
    errors = field.errors
    attrs = {}
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if inputmode:
        attrs["inputmode"] = inputmode
    if errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.id}-error"
    label = field.label
    parts = [
        '<div class="field has-error">\n  <label for="'
        if errors
        else '<div class="field">\n  <label for="',
        _text(label.field_id),
        '">',
        _text(label.text),
        "</label>\n  \n  \n  \n  \n  ",
        _text(field(**attrs)),
        "\n  ",
    ]
    if description := field.description:
        parts += ('<small class="hint">', _text(description), "</small>")
    parts.append("\n  ")
    for error in errors:
        parts += ('<p class="error" id="', _text(field.id), '-error">', _text(error), "</p>")
    parts.append("\n</div>")
    return Markup("".join(parts))  # noqa: S704 (each part escaped as the macro escaped it)


#: most prototypes ``Form.Meta.bind_field`` keeps: every field of every form class in two
#: languages is some hundreds; past this (form classes made on the fly) fields are made anew
MAX_PROTOTYPES = 4096


class _Prototype:
    """A field as its form class binds it in one language, and what a copy of it changes."""

    __slots__ = ("field", "kind", "state", "flags", "label", "containers", "own_id")

    def __init__(self, field: Field, own_id) -> None:
        field.meta = field._form = None  # each copy gets its own form's
        # the texts it writes, in the language of the key: a lazy text is translated again
        # each time it is written (Markup: the translation writes itself, as the lazy one)
        field.label.text = _written(field.label.text)
        field.description = _written(field.description)
        choices = getattr(field, "_choices", None)
        if type(choices) is list:
            field._choices = [_written_choice(choice) for choice in choices]
        self.field = field
        self.kind = type(field)
        self.state = vars(field)
        self.flags = vars(field.flags)
        self.label = field.label.text
        #: lists and dicts (choices, validators, render_kw...): each form its own, as WTForms
        self.containers = tuple(k for k, v in self.state.items() if type(v) in (list, dict))
        self.own_id = own_id


def _written(text):
    """A lazy text as a page writes it, in the request's language; any other as it is."""
    return Markup(str(text)) if isinstance(text, LazyString) else text  # noqa: S704


def _written_choice(choice):
    """A declared choice (``SelectChoice`` or a tuple) with its lazy label written."""
    if isinstance(choice, SelectChoice) and isinstance(choice.label, LazyString):
        return dataclasses.replace(choice, label=_written(choice.label))
    if isinstance(choice, tuple) and len(choice) > 1 and isinstance(choice[1], LazyString):
        return (choice[0], _written(choice[1]), *choice[2:])
    return choice


_PROTOTYPES: dict[tuple, _Prototype] = {}


def _bound(meta, form, unbound: UnboundField, options: dict) -> Field:
    """``unbound`` bound to ``form``: a copy of the field as its class binds it in this
    language (``_Prototype``), its name, id and label's ``for`` under the form's prefix.

    WTForms builds every field of a form anew for each form (thirty-odd calls a field, a
    page's forms a thousand); all but the form, the data and the errors come out the same
    each time. The labels and hints of the copy are already in the request's language (a
    lazy text is translated again each time it is written), so the key holds the language
    (the form's translations, ``Form.Meta.get_translations``). Outside a request, and rows
    of a ``FieldList`` (named by an index the request chooses) are made anew.
    """
    translations = options.get("translations")
    if translations is MESSAGES or len(options) != 3 or "prefix" not in options:
        return unbound.bind(form=form, **options)
    name = options["name"]
    key = (unbound, name, translations)  # the translations: those of the request's language
    prototype = _PROTOTYPES.get(key)
    if prototype is None:
        field = unbound.bind(form=form, **options)
        # a CSRF field is made anew for each form; a datalist's id follows the field's
        if (
            len(_PROTOTYPES) >= MAX_PROTOTYPES
            or isinstance(field, CSRFTokenField)
            or not isinstance(field._datalist, str | None)
        ):
            return field
        prototype = _PROTOTYPES[key] = _Prototype(field, unbound.kwargs.get("id"))
    # a copy: its attributes (and its flags') a new dict, as ``copy.copy`` would make
    field = object.__new__(prototype.kind)
    field.__dict__ = state = prototype.state.copy()
    for container in prototype.containers:
        state[container] = state[container].copy()
    flags = state["flags"] = object.__new__(Flags)
    flags.__dict__ = prototype.flags.copy()
    prefix = options["prefix"]
    state["name"] = full_name = prefix + name
    state["_prefix"] = prefix
    state["id"] = field_id = prototype.own_id or full_name
    state["label"] = Label(field_id, prototype.label)
    state["meta"] = meta
    state["_form"] = form
    return field


class Form(FlaskForm):
    """Every form of the marketplace derives from this one."""

    class Meta:
        def get_translations(self, form):
            # the request's language's catalogue, found once per form (and so a key of the
            # fields kept per language, ``_bound``); outside a request, ``MESSAGES``
            return _catalogue(current_language()) if has_request_context() else MESSAGES

        def bind_field(self, form, unbound_field, options):
            return _bound(self, form, unbound_field, options)

        def render_field(self, field, render_kw):
            render = _RENDERERS.get(type(field.widget).__call__)
            if render is None:
                if not render_kw and field.render_kw is None:
                    # what WTForms' render_field calls, without its two dicts of clean names
                    return field.widget(field)
                return super().render_field(field, render_kw)
            kwargs = {clean_key(key): value for key, value in render_kw.items()}
            if field.render_kw is not None:
                own = {clean_key(key): value for key, value in field.render_kw.items()}
                kwargs = dict(own, **kwargs)
            return render(field.widget, field, kwargs)


class SentOnce:
    """A form whose submit makes a record (``marketplace.once``), mixed in before ``Form``.

    The page showing it hands out a fresh token; the same form sent again (a double tap, a
    retry after a dropped connection) carries the same one with the same values, so the
    record is made once. Back brings a page back with its token: values typed anew there are
    another record, so what the service is given (``sent_token``) is the token with a digest
    of the values sent (:func:`sent_digest`); a form refused and corrected made nothing the
    first time. A form that came without a token is shown again with one, so the next
    press is kept.
    """

    idempotency_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sent = self.is_submitted()  # type: ignore[attr-defined]
        token = (self.idempotency_token.data or "") if sent else ""
        #: the token this request came with and its values' digest ("" when it only shows
        #: the form, or came without a token)
        self.sent_token: str = f"{token}.{sent_digest()}" if token else ""
        if not token:
            self.idempotency_token.data = secrets.token_urlsafe(24)


#: the fields a page hands out with its form, not typed (a digest of them would differ
#: between two sends of the same values)
UNTYPED_FIELDS = ("csrf_token", "idempotency_token")
#: hex characters of a digest of the values kept beside a token (``once.TOKEN_LENGTH``)
DIGEST_LENGTH = 16


def sent_digest() -> str:
    """A digest of what the request's form sent: each value under its name, each file's
    name and content, the page's own tokens left out."""
    digest = hashlib.blake2b(digest_size=DIGEST_LENGTH // 2)
    for name, value in sorted(request.form.items(multi=True)):
        if not name.endswith(UNTYPED_FIELDS):
            digest.update(f"{len(name)}:{name}={len(value)}:{value};".encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        digest.update(f"{name}@{upload.filename}:".encode())
        digest.update(hashlib.file_digest(upload.stream, "blake2b").digest())
        upload.stream.seek(0)
    return digest.hexdigest()


class Required(InputRequired):
    """Something typed. WTForms' ``InputRequired`` takes any character as input; here a
    value of only spaces (a phone keyboard's own space, a non-breaking or a full-width one)
    is nothing typed, as the fields read it: a date or number of spaces is no value."""

    #: WTForms' own words when a form gives none (translated by WTForms' catalogue)
    WTFORMS_MESSAGE = "This field is required."

    def __call__(self, form, field):
        typed = field.raw_data[0] if field.raw_data else None
        if isinstance(typed, str) and not typed.strip():
            field.errors[:] = []
            raise StopValidation(self.message or field.gettext(self.WTFORMS_MESSAGE))
        super().__call__(form, field)


class LocalDateField(Field):
    """A date from the phone's date picker (YYYY-MM-DD) in ``DATE_YEARS``, refused in
    Indonesian."""

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
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("Tulis tanggal seperti 2026-11-29.")) from None
        if day.year not in DATE_YEARS:
            raise ValueError(
                _l(
                    "Tulis tanggal antara tahun %(first)s dan %(last)s.",
                    first=DATE_YEARS.start,
                    last=DATE_YEARS.stop - 1,
                )
            )
        self.data = day
