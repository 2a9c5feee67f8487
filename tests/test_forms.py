"""The marketplace's cheaper ``<input>`` rendering writes what WTForms' own widgets write."""

from __future__ import annotations

import datetime as dt

import pytest
from wtforms import DateField, HiddenField, IntegerField, StringField, TelField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import NumberInput
from wtforms.widgets.core import html_params as wtforms_html_params

from marketplace.forms import Form, LocalDateField, html_params
from marketplace.institutions.forms import BuilderForm, GovPaymentForm
from marketplace.orders.forms import CheckoutForm, ShipPartForm
from marketplace.sellers.forms import SALE_MODES, ProductForm


class Odd(Form):
    plain = StringField("A <b>", validators=[InputRequired(), Length(min=2, max=9)])
    hidden = HiddenField(default='say "hi" & <go>')
    phone = TelField(render_kw={"class_": "wide", "data_x": 1})
    count = IntegerField(widget=NumberInput(step=2, min=1, max=9), validators=[NumberRange(1, 9)])
    note = TextAreaField("N <i>", validators=[InputRequired(), Length(max=50)], default='a <b> "c"')
    day = DateField(default=dt.date(2026, 12, 7), render_kw={"min": dt.date(2026, 1, 1)})
    local = LocalDateField(default=dt.date(2026, 12, 7))


EXTRA = (
    {},
    {"inputmode": "numeric"},
    {"aria-invalid": "true", "aria-describedby": "x-error", "autocomplete": "tel"},
    {"value": '<&">', "disabled": True, "readonly": False, "class_": "a"},
)


@pytest.mark.parametrize(
    "form_class", [Odd, ProductForm, CheckoutForm, ShipPartForm, BuilderForm, GovPaymentForm]
)
def test_fields_render_as_wtforms_renders_them(app, form_class):
    with app.test_request_context("/?name=Tenggiri+%22pedas%22&stock=12"):
        form = form_class()
        for field in form:
            for extra in EXTRA:
                assert field(**extra) == DefaultMeta.render_field(form.meta, field, dict(extra))


def test_attributes_are_written_as_wtforms_writes_them():
    cases = (
        {"class_": "x", "for_": "y", "data_a_b": 1, "aria_label": "<z>", "checked": True},
        {"value": 'a "b" & c', "hidden": False, "name": "n"},
        # each character escaped, alone: a value without any is written as it is
        {"a": "it's", "b": "1 > 0", "c": "<", "d": "R&D", "e": '"', "f": "plain"},
    )
    for attrs in cases:
        assert html_params(**attrs) == wtforms_html_params(**attrs)


def test_written_select_and_radio_buttons_write_what_wtforms_writes(app):
    from wtforms import RadioField, SelectChoice
    from wtforms.widgets import Select

    from marketplace.forms import WrittenChoices, radio_options

    with app.test_request_context("/"):
        for data in (None, 0, 2, 9):
            form = ProductForm()
            field = form.category_id
            choices = [SelectChoice(0, "Pilih"), SelectChoice(1, "A & <b>"), SelectChoice(2, "")]
            field.choices = WrittenChoices(choices, field.coerce)
            field.data = data
            for extra in EXTRA[:3]:
                assert field(**extra) == Select()(field, **extra)
        for data in ("stock", "order", "other", None):
            form.sale_mode.data = data
            expected = [f"{option()} {option.label}" for option in form.sale_mode]
            assert radio_options(form.sale_mode) == expected

        class Odd(Form):
            mode = RadioField(
                "M", choices=[SelectChoice("a", "<A>"), SelectChoice("b", "")], default="b"
            )

        odd = Odd()
        assert radio_options(odd.mode) == [f"{o()} {o.label}" for o in odd.mode]


#: the ``field`` macro of templates/_macros.html as it was written in Jinja, before
#: ``forms.field_html`` wrote it in Python
JINJA_FIELD = """{% macro field(f, autocomplete=None, inputmode=None) -%}
<div class="field{% if f.errors %} has-error{% endif %}">
  <label for="{{ f.label.field_id }}">{{ f.label.text }}</label>
  {% set attrs = {} %}
  {% if autocomplete %}{% set _ = attrs.update({'autocomplete': autocomplete}) %}{% endif %}
  {% if inputmode %}{% set _ = attrs.update({'inputmode': inputmode}) %}{% endif %}
  {% if f.errors %}{% set _ = attrs.update({'aria-invalid': 'true', \
'aria-describedby': f.id ~ '-error'}) %}{% endif %}
  {{ f(**attrs) }}
  {% if f.description %}<small class="hint">{{ f.description }}</small>{% endif %}
  {% for error in f.errors %}<p class="error" id="{{ f.id }}-error">{{ error }}</p>{% endfor %}
</div>
{%- endmacro %}""".replace("\\\n", "")

MACRO_ARGUMENTS = ((None, None), ("tel", None), (None, "numeric"), ("email", "email"))


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("sent", [None, {"plain": "<x>", "price": "abc", "box_count": "-1"}])
@pytest.mark.parametrize("form_class", [Odd, ProductForm, CheckoutForm, BuilderForm])
def test_field_macro_writes_what_the_jinja_macro_wrote(app, form_class, sent, language):
    jinja = app.jinja_env.from_string(JINJA_FIELD).module.field
    ours = app.jinja_env.from_string(
        '{% from "_macros.html" import field %}{{ field(f, autocomplete, inputmode) }}'
    )
    method = "POST" if sent else "GET"
    with app.test_request_context(f"/?hl={language}", method=method, data=sent or {}):
        form = form_class()
        if form_class is CheckoutForm:
            form.offer_places()
        if sent:
            form.validate()
            first = next(iter(form))
            first.errors = [*first.errors, '"quoted" & <b>']
            assert any(field.errors for field in form)
        for field in form:
            if field.type in ("FieldList", "CSRFTokenField"):
                continue
            for autocomplete, inputmode in MACRO_ARGUMENTS:
                expected = jinja(field, autocomplete, inputmode)
                assert ours.render(f=field, autocomplete=autocomplete, inputmode=inputmode) == (
                    expected
                )


def test_a_form_s_fields_are_its_own(app):
    """Fields are copies of one made per class and language: what a view changes on one
    form's fields (choices, checks, flags, labels) never reaches the next form."""
    from wtforms import SelectChoice
    from wtforms.validators import DataRequired

    with app.test_request_context("/"):
        first = ProductForm()
        # each form its own token (``forms.SentOnce``): the rest is the same for every form
        mine = [field for field in first if field.name != "idempotency_token"]
        written = [str(field()) for field in mine]
        labels = [str(field.label) for field in first]
        first.sale_mode.choices.append(SelectChoice("x", "X"))
        first.name.validators.append(DataRequired())
        first.name.flags.required = False
        first.name.label.text = "Lain"
        first.price.validators = []
        first.name.data = "Amplang"
        second = ProductForm()
        theirs = [field for field in second if field.name != "idempotency_token"]
        assert [str(field()) for field in theirs] == written
        assert second.idempotency_token.data != first.idempotency_token.data
        assert [str(field.label) for field in second] == labels
        assert len(second.sale_mode.choices) == 2 and len(second.name.validators) == 2
        assert second.name.data is None and second.name.flags.required
        assert all(field.meta is second.meta for field in second)


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ("Product name", "Selling unit", "For example", "Event name", "Example:")),
        ("id", ("Nama produk", "Satuan jual", "Contoh", "Nama acara", "Contoh")),
    ],
)
def test_labels_and_hints_follow_the_language(app, language, texts):
    """Each form's labels, hints and choices are those of its request's language."""
    with app.test_request_context(f"/?hl={language}"):
        for _ in range(2):  # made, then copied
            product, builder = ProductForm(), BuilderForm()
            assert (product.name.label.text, product.unit.label.text) == texts[:2]
            assert product.name.description.startswith(texts[2])
            assert builder.event_name.label.text == texts[3]
            assert builder.event_name.description.startswith(texts[4])
            modes = [str(choice.label) for choice in product.sale_mode.choices]
            assert modes == [str(choice.label) for choice in SALE_MODES]


def test_a_prefix_names_each_form_s_fields(app):
    """One class, several prefixes on a page (a form per row), rows of a list: each field
    named, and its label pointing at it, under its own form's prefix."""
    with app.test_request_context(
        "/", method="POST", data={"lines-3-product_id": "12", "lines-3-quantity_per_box": "2"}
    ):
        for prefix in ("", "p1", "p2-"):
            form = ShipPartForm(prefix=prefix)
            written = prefix + "-" if prefix and not prefix.endswith("-") else prefix
            assert form.courier.name == form.courier.id == f"{written}courier"
            assert f'for="{written}courier"' in str(form.courier.label)
        rows = BuilderForm().lines  # sent as row 3, numbered from 0 as WTForms does
        product, quantity = rows[0].product_id, rows[0].quantity_per_box
        assert product.name == product.id == product.label.field_id == "lines-0-product_id"
        assert product.data == (12, None) and quantity.data == 2
        assert rows[1].quantity_per_box.name == "lines-1-quantity_per_box"
        assert rows[1].product_id.data is None


def test_region_lists_write_what_wtforms_select_writes(app):
    from wtforms.widgets import Select

    from marketplace.catalog import places

    province = places.KALTARA
    city = places.children(province)[0].code
    with app.test_request_context("/"):
        for data in ({}, {"province": province}, {"province": province, "city": city}):
            form = CheckoutForm(data=data)
            form.offer_places()
            form.city.flags.required = True
            assert ("selected" in form.city()) == ("city" in data)
            for field in (form.province, form.city, form.district):
                for extra in EXTRA[:3]:
                    assert field(**extra) == Select()(field, **extra)


@pytest.mark.parametrize(
    ("language", "message"), [("id", "Tanggal tidak sesuai."), ("en", "Not a valid date value.")]
)
def test_wtforms_own_messages_speak_the_request_s_language(app, language, message):
    with app.test_request_context(f"/?hl={language}", method="POST", data={"paid_on": "29/11"}):
        for _ in range(2):  # made, then copied
            form = GovPaymentForm()
            form.validate()
            assert form.paid_on.errors == [message]
            assert 'value="29/11"' in form.paid_on()


def test_builder_rows_write_what_wtforms_select_writes(app):
    from wtforms import SelectChoice
    from wtforms.widgets import Select

    from marketplace.institutions.forms import SharedChoices

    with app.test_request_context("/"):
        choices = SharedChoices(
            [
                SelectChoice("0", "— pilih —"),
                SelectChoice("7", "B · Rp1"),
                SelectChoice("12", "A & <b>", optgroup='Toko "A" & B'),
                SelectChoice("12-3", "A, 250 g", optgroup='Toko "A" & B'),
                SelectChoice("13", "C", optgroup="Toko C"),
            ]
        )
        for chosen in (None, (12, None), (12, 3)):
            form = BuilderForm()
            field = form.lines[0].product_id
            field.choices, field.data = choices, chosen
            field.flags.required = chosen is None
            for extra in EXTRA[:3]:
                assert field(**extra) == Select()(field, **extra)
