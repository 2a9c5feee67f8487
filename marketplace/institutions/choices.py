"""The gift-box builder's product choices, as its select shows them.

Without a delivery date the choices are the same for every officer: each orderable
product (or option) with its shop and price now. They change only with the catalogue
(every row they show moves the catalogue version: products, options, shops, official
gifts) or at midnight WITA (a licence or a promotion ends), so each process keeps them,
written once, per language in the catalogue memo (``marketplace.catalogmemo``), as the
storefront does for the public lists. With a delivery date each choice also says what it can supply
by then: read afresh.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from markupsafe import escape

from marketplace.catalogmemo import kept, locale_key
from marketplace.institutions import boxes
from marketplace.institutions.forms import SharedChoices, box_choice_value, parse_box_choice
from marketplace.rupiah import format_rupiah


def builder_choices(due_on: dt.date | None) -> SharedChoices:
    """Every product to choose from; with a delivery date, what each can supply by then."""
    if due_on:
        return _written(due_on)
    return kept(("builder_choices", locale_key()), _written_once)


def _written_once() -> SharedChoices:
    choices = _written(None)
    # Written out now, once: a shared value is never half-made.
    choices.html = "".join(
        f'<option value="{value}">{escape(label)}</option>' for value, label in choices
    )
    choices.values = {parse_box_choice(value): value for value, _label in choices}
    return choices


def _written(due_on: dt.date | None) -> SharedChoices:
    found = boxes.box_choices()
    supply = boxes.supply_by(found, due_on) if due_on else {}
    official_label = "★ " + _("Oleh-oleh resmi") + ": "
    return SharedChoices(
        [("0", _("— pilih produk —"))]
        + [
            (
                box_choice_value(*c.key),
                (official_label if c.official else "")
                + f"{c.name} · {c.product.seller.shop_name} · {format_rupiah(c.price_now)}"
                + (f" · {boxes.supply_label(supply[c.key])}" if c.key in supply else ""),
            )
            for c in found
        ]
    )
