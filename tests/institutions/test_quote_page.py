"""The quote's own page reads the quote as a row: the same values and rules as the object."""

from __future__ import annotations

from dataclasses import fields

import pytest

from marketplace.db import db
from marketplace.errors import NotFound
from marketplace.institutions import quote_page, quotes
from marketplace.institutions.models import Quote, QuoteStatus
from marketplace.institutions.orders import order_of_quote
from tests import factories


def _as_object(quote: Quote) -> dict:
    names = [column.name for column in fields(quote_page.PageQuote)]
    return {name: getattr(quote, name) for name in names} | {
        "net_payable_amount": quote.net_payable_amount,
        "is_editable": quote.is_editable,
    }


def _as_row(row: quote_page.PageQuote) -> dict:
    names = [column.name for column in fields(quote_page.PageQuote)]
    return {name: getattr(row, name) for name in names} | {
        "net_payable_amount": row.net_payable_amount,
        "is_editable": row.is_editable,
    }


def test_the_row_agrees_with_the_quote_through_its_moves():
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    quote = factories.make_quote(officer)
    quote.rup_code, quote.pph22_amount = "RUP-7", 1_500
    db.session.flush()

    row, office, order_id = quote_page.quote_for_officer_or_404(quote.id, officer)
    assert _as_row(row) == _as_object(quote)
    assert row.is_editable and row.net_payable_amount == quote.total_amount - 1_500
    assert office == (institution.id, False) and order_id is None

    quotes.submit_quote(quote.id, officer)
    row, office, _ = quote_page.quote_for_officer_or_404(quote.id, head)
    assert row.status == QuoteStatus.SUBMITTED and row.number and row.valid_until
    assert _as_row(row) == _as_object(quote) and not row.is_editable
    assert office == (institution.id, True)

    quotes.approve_quote(quote.id, head)
    row, _, order_id = quote_page.quote_for_officer_or_404(quote.id, head)
    assert _as_row(row) == _as_object(quote)
    assert order_id == order_of_quote(quote.id).id


def test_the_row_is_only_for_the_officers_of_its_institution():
    quote = factories.make_quote()
    for stranger in (factories.make_officer(), factories.make_user()):
        with pytest.raises(NotFound):
            quote_page.quote_for_officer_or_404(quote.id, stranger)
    with pytest.raises(NotFound):
        quote_page.quote_for_officer_or_404(quote.id + 1000, quote.created_by)
