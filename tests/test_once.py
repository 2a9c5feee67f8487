"""``once``: a record added twice is added once, and only a unique key's refusal is read
as "already there"."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.catalog.models import SearchSynonym
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.once import added_once, written_once


def _synonyms() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchSynonym))


def test_a_row_whose_unique_key_is_taken_is_not_added_and_the_first_is_kept(app):
    before = _synonyms()
    assert added_once(SearchSynonym(word="amplank", means="amplang")) is True
    assert added_once(SearchSynonym(word="amplank", means="amplang")) is False
    assert _synonyms() == before + 1
    db.session.commit()  # the refused one left nothing to write


def test_any_other_refusal_is_not_taken_for_a_twin(app):
    """A missing value is the caller's mistake, not a row already there: it is raised, not
    answered as "already added"."""
    with pytest.raises(IntegrityError):
        added_once(SearchSynonym(word="amplank", means=None))


def test_writes_refused_by_a_unique_key_are_the_refusal_given_and_leave_nothing(app):
    """``written_once``: rows made inside a service, refused as a twin's, become its
    refusal; nothing of the block is kept, what was written before it is."""
    db.session.add(SearchSynonym(word="lempog", means="lempok"))
    db.session.flush()
    before = _synonyms()
    refusal = MarketplaceError("Padanan ini sudah tercatat.")
    with pytest.raises(MarketplaceError) as raised, written_once(refusal):
        db.session.add(SearchSynonym(word="kerupuk amplang", means="amplang"))
        db.session.add(SearchSynonym(word="lempog", means="lempok"))
    assert raised.value is refusal
    assert _synonyms() == before


def test_writes_refused_for_another_reason_are_raised_as_they_are(app):
    with pytest.raises(IntegrityError), written_once(MarketplaceError("twin")):
        db.session.add(SearchSynonym(word="amplank", means=None))


def test_a_page_sent_again_with_other_values_is_a_new_record_not_its_twin(client, login_as):
    """The token comes with the page, and Back brings the page back with it: a buyer who
    saved an address, went Back and typed another, sends the same token with other values.
    Only the same values are the same form sent again; other values are kept, not lost."""
    from marketplace.orders.models import SavedAddress
    from tests import factories

    buyer = login_as("buyer")
    form = factories.address_form()
    assert client.post("/akun/alamat", data=form).status_code == 303
    assert client.post("/akun/alamat", data=form).status_code == 303  # sent again
    other = {**form, "label": "Kantor", "street": "Jl. Kolonel Soetadji No. 1"}
    assert client.post("/akun/alamat", data=other).status_code == 303  # Back, then typed
    mine = select(SavedAddress.street).where(SavedAddress.user_id == buyer.id)
    saved = db.session.scalars(mine.order_by(SavedAddress.id)).all()
    assert saved == ["Jl. Yos Sudarso No. 5", "Jl. Kolonel Soetadji No. 1"]
