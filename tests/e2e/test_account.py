"""Accounts on a phone: sign up, sign out, sign in again by phone number."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    assert_fits_the_phone,
    new_account_details,
    sign_in,
    sign_out,
    sign_up,
    signed_in_as_nobody,
)

pytestmark = pytest.mark.e2e


def test_sign_up_sign_out_and_sign_in_by_phone_number(phone, accounts):
    account = new_account_details("Ibu Halimah")
    accounts.forget_later(account)

    sign_up(phone, account)
    expect(phone.get_by_role("navigation").get_by_role("button", name="Keluar")).to_be_visible()
    assert_fits_the_phone(phone)

    sign_out(phone)
    signed_in_as_nobody(phone)

    # The number as a person might type it the second time: +62 and no leading zero.
    sign_in(phone, account.phone_e164.replace("+62", "+62 "), account.password)
    expect(phone.get_by_role("navigation").get_by_role("button", name="Keluar")).to_be_visible()
    assert_fits_the_phone(phone)
