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
from wtforms import SelectChoice

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
    choices.write(parse_box_choice)
    return choices


def _written(due_on: dt.date | None) -> SharedChoices:
    """The blank choice and the official gifts (each naming its household), then each
    household's products under its name (``box_products``' order: the official gifts
    first, then by household)."""
    found = boxes.box_choices()
    supply = boxes.supply_by(found, due_on) if due_on else {}
    official_label = "★ " + _("Oleh-oleh resmi") + ": "

    def label(choice: boxes.BoxChoice, *named: str) -> str:
        return " · ".join(
            [choice.name, *named, format_rupiah(choice.price_now)]
            + ([boxes.supply_label(supply[choice.key])] if choice.key in supply else [])
        )

    def choice_of(choice: boxes.BoxChoice) -> SelectChoice:
        value, shop = box_choice_value(*choice.key), choice.product.seller.shop_name
        if choice.official:
            return SelectChoice(value, official_label + label(choice, shop))
        return SelectChoice(value, label(choice), optgroup=shop)

    return SharedChoices([SelectChoice("0", _("— pilih produk —"))] + [choice_of(c) for c in found])
