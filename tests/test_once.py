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
