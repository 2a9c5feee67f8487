"""Accounts without a request: phone numbers, passwords, roles, sessions."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from marketplace.accounts import services
from marketplace.accounts.models import Role
from marketplace.accounts.passwords import PRODUCTION_PARAMS, password_problem
from tests import factories


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+62 812 3456 7890",
        "6281234567890",
        "+6281234567890",
    ],
)
def test_indonesian_phone_numbers_have_one_form(typed):
    assert services.normalise_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["12345", "0812", "+1 202 555 0143", "nomor saya", "0000000000"])
def test_malformed_phone_numbers_are_refused(typed):
    with pytest.raises(services.AccountError) as error:
        services.normalise_phone(typed)
    assert error.value.field == "phone"


def test_sign_up_then_sign_in_by_email_or_phone():
    user = services.register_user(
        name="Ibu Ani", email="Ani@Contoh.ID", phone="0812 1111 2222", password="madu kelulut enak"
    )
    assert user.email == "ani@contoh.id" and user.phone == "+6281211112222"
    assert user.roles == {Role.BUYER}
    assert services.authenticate("ani@contoh.id", "madu kelulut enak") == user
    assert services.authenticate("+62 812-1111-2222", "madu kelulut enak") == user
    assert services.authenticate("081211112222", "madu kelulut enak") == user


def test_wrong_password_and_unknown_account_get_the_same_message():
    factories.make_user(email="ada@contoh.id")
    with pytest.raises(services.AccountError) as wrong:
        services.authenticate("ada@contoh.id", "salah-sekali-123")
    with pytest.raises(services.AccountError) as unknown:
        services.authenticate("tidakada@contoh.id", "salah-sekali-123")
    assert str(wrong.value.message) == str(unknown.value.message)


def test_taken_email_and_phone_are_refused():
    factories.make_user(email="ada@contoh.id", phone="+6281299998888")
    with pytest.raises(services.AccountError) as by_email:
        services.register_user(
            name="X", email="ADA@contoh.id", phone=None, password="rotan malinau 1"
        )
    assert by_email.value.field == "email"
    with pytest.raises(services.AccountError) as by_phone:
        services.register_user(
            name="X", email=None, phone="081299998888", password="rotan malinau 1"
        )
    assert by_phone.value.field == "phone"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("pendek", "too_short"),
        ("password123", "common"),
        ("bismillah", "common"),
        ("aaaaaaaaaaaa", "common"),
        ("x" * 300, "too_long"),
    ],
)
def test_weak_passwords_are_refused(password, problem):
    assert password_problem(password) == problem


def test_password_may_not_contain_the_email():
    assert password_problem("sitiaminah2026", "sitiaminah@contoh.id") == "personal"
    assert password_problem("amplang tenggiri renyah", "sitiaminah@contoh.id") is None


def test_production_hash_meets_owasp_minimum():
    # OWASP Password Storage Cheat Sheet, argon2id: m >= 19 MiB, t >= 2, p >= 1.
    assert PRODUCTION_PARAMS["memory_cost"] >= 19 * 1024
    assert PRODUCTION_PARAMS["time_cost"] >= 2
    encoded = PasswordHasher(**PRODUCTION_PARAMS).hash("contoh")
    assert encoded.startswith("$argon2id$")


def test_ending_sessions_changes_the_session_token():
    user = factories.make_user()
    before = user.get_id()
    services.end_sessions(user)
    assert user.get_id() != before


def test_an_admin_cannot_revoke_their_own_admin_role():
    admin = factories.make_user(roles=[Role.ADMIN])
    with pytest.raises(services.AccountError):
        services.revoke_role(admin, Role.ADMIN, revoked_by=admin)
    assert Role.ADMIN in admin.roles


def test_roles_are_granted_once():
    user = factories.make_user()
    assert services.grant_role(user, Role.OFFICER) is True
    assert services.grant_role(user, Role.OFFICER) is False
    assert user.roles == {Role.BUYER, Role.OFFICER}


def test_the_sign_in_limit_key_names_the_account_whatever_the_spelling():
    user = factories.make_user(email="ina@contoh.id", phone="+6281234567803")
    keys = {
        services.sign_in_limit_key(login)
        for login in ("ina@contoh.id", " INA@contoh.id", "081234567803", "62 812 3456 7803")
    }
    assert keys == {f"user:{user.id}"}
    assert services.sign_in_limit_key("0812 3456 7899") == "login:+6281234567899"
    # Logins no form takes are keyed without a query (PostgreSQL refuses a NUL in text).
    assert services.sign_in_limit_key("ina\x00@contoh.id") == "login:ina\x00@contoh.id"
    assert services.sign_in_limit_key("a" * 5000) == "login:" + "a" * 254
