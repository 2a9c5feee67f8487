"""``once``: a record added twice is added once, and only a unique key's refusal is read
as "already there"."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.catalog.models import SearchSynonym
from marketplace.db import db
from marketplace.once import added_once


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
