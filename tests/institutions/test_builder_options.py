"""The builder's product lists are written once per catalogue and language and shared by
every row: each row's list is what WTForms' own select writes for the row's choice."""

from __future__ import annotations

from wtforms.widgets import Select

from marketplace.db import db
from marketplace.institutions.choices import builder_choices
from marketplace.institutions.forms import BuilderForm
from tests import factories


def _row(choices, chosen):
    field = BuilderForm().lines[1].product_id
    field.choices, field.data = choices, chosen
    return field


def test_each_row_writes_what_wtforms_writes_in_both_languages(app):
    seller = factories.make_seller()
    factories.make_product(seller=seller, name="Kain <Tenun> & Manik", stock=5)
    amplang = factories.make_product(seller=seller, name="Amplang 'Rasa'", stock=5)
    first, _second = factories.make_options(amplang, ("Pedas", 30_000, 4), ("Manis", 32_000, 4))
    factories.make_product(seller=seller, name="Lampit Rotan", stock=5)
    db.session.commit()

    for language in ("id", "en"):
        with app.test_request_context(f"/?hl={language}"):
            choices = builder_choices(None)
            assert choices is builder_choices(None)  # kept, written once
            assert f"{amplang.id}-{first.id}" in {c.value for c in choices}  # sold by option
            first_product = choices[1].value
            middle = choices[len(choices) // 2].value
            for chosen in (
                None,
                (int(first_product.split("-")[0]), None),
                tuple(int(part) for part in middle.split("-"))
                if "-" in middle
                else (int(middle), None),
                (amplang.id, first.id),
                (999_999, None),
                (amplang.id, 999_999),
            ):
                field = _row(choices, chosen)
                written = field()
                assert written == Select()(field), (language, chosen)
            assert written.count("selected") == 0
            assert _row(choices, (amplang.id, first.id))().count(" selected ") == 1
            assert "Kain &lt;Tenun&gt; &amp; Manik" in written
            # each household's products under its name
            assert f'<optgroup label="{seller.shop_name}">' in written


def test_a_change_of_the_catalogue_gives_new_options(app):
    factories.make_product(name="Kerupuk Lama", stock=5)
    db.session.commit()
    with app.test_request_context("/"):
        before = _row(builder_choices(None), None)()
    assert "Kerupuk Lama" in before and "Kerupuk Baru" not in before

    factories.make_product(name="Kerupuk Baru", stock=5)
    db.session.commit()
    with app.test_request_context("/"):
        field = _row(builder_choices(None), None)
        after = field()
    assert "Kerupuk Baru" in after and after == Select()(field)
