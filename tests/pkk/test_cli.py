"""``flask pkk scope``: an admin limits a reviewer to one kabupaten from the shell."""

from __future__ import annotations

from marketplace.db import db
from marketplace.pkk.services import region_scope_of
from tests import factories


def test_scope_a_reviewer_to_a_kabupaten_and_back_to_the_province(app):
    reviewer = factories.make_user(roles=["reviewer"])
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pkk", "scope", reviewer.email, "malinau"])
    assert result.exit_code == 0, result.output
    assert region_scope_of(reviewer.id) == factories.region("malinau").id
    assert runner.invoke(args=["pkk", "scope", reviewer.email, "provinsi"]).exit_code == 0
    assert region_scope_of(reviewer.id) is None
    assert runner.invoke(args=["pkk", "scope", reviewer.email, "kutai"]).exit_code != 0
