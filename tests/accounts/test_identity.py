"""Who is signed in: read as one row per role by the user loader, the record on demand."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from marketplace.accounts.identity import SignedIn, load_signed_in, signed_in_user
from marketplace.accounts.models import Role, SecondFactor, User
from marketplace.db import db, now_utc
from marketplace.notify.models import Notification
from tests import factories


def _note(user: User, key: str, *, read: bool = False) -> None:
    db.session.add(
        Notification(
            key=key, user_id=user.id, kind="uji", url="/", read_at=now_utc() if read else None
        )
    )


def test_the_loader_reads_name_language_roles_and_unread_count(app):
    user = factories.make_user(roles=[Role.SELLER, Role.OFFICER], name="Ibu Sari")
    user.locale = "en"
    _note(user, "a")
    _note(user, "b")
    _note(user, "c", read=True)
    db.session.flush()

    who = load_signed_in(user.session_token)

    assert isinstance(who, SignedIn)
    assert (who.id, who.name, who.locale, who.unread_count) == (user.id, "Ibu Sari", "en", 2)
    assert who.roles == {Role.SELLER, Role.OFFICER}
    assert who.has_role(Role.OFFICER) and not who.has_role(Role.ADMIN, Role.REVIEWER)
    assert who.get_id() == user.session_token and who.is_authenticated and who.is_active
    user.is_active_account = False
    db.session.flush()
    assert not load_signed_in(user.session_token).is_authenticated


def test_the_loader_knows_whether_the_second_factor_is_on(app):
    admin = factories.make_user(roles=[Role.ADMIN])  # enrolled and confirmed
    halfway = factories.make_user(roles=[Role.ADMIN])
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == halfway.id))
    factor.confirmed_at = None  # the app scanned, the code never typed
    buyer = factories.make_user()
    db.session.flush()

    assert load_signed_in(admin.session_token).second_factor_on
    assert not load_signed_in(halfway.session_token).second_factor_on
    assert not load_signed_in(buyer.session_token).second_factor_on


def test_a_person_without_roles_is_still_signed_in_and_an_unknown_token_is_no_one(app):
    user = factories.make_user(roles=[])
    db.session.flush()

    assert load_signed_in(user.session_token).roles == frozenset()
    assert load_signed_in("no-such-token") is None


def test_the_record_is_the_persons_user_row_and_the_identity_itself_is_read_only(app):
    user = factories.make_user(roles=[Role.BUYER], email="sari@contoh.id")
    db.session.flush()

    with app.test_request_context("/"):
        g._login_user = load_signed_in(user.session_token)
        assert signed_in_user() is user  # the session's own object: changes are saved
        assert g._login_user.email == "sari@contoh.id"
        # what the identity does not keep comes from the record, and is changed there only
        assert g._login_user.created_at == user.created_at
        with pytest.raises(AttributeError):
            g._login_user.password_hash = "bukan-hash"


def test_just_signed_in_the_person_already_is_their_record(app):
    user = factories.make_user()
    db.session.flush()

    with app.test_request_context("/"):
        g._login_user = user  # as ``login_user`` leaves it for the rest of the request
        assert signed_in_user() is user


def test_the_profile_shows_what_only_the_record_keeps(client, login_as):
    user = login_as(Role.BUYER)
    user.phone = "+6281355556666"
    db.session.commit()

    page = client.get("/akun/").get_data(as_text=True)

    assert user.email in page and "+6281355556666" in page
