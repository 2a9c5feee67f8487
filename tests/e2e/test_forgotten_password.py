"""A household forgets its password: "Lupa kata sandi?", the link in the mail, a new one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_fits_the_phone, sign_in, sign_out

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://[^/\s]+(/akun/atur-ulang/\S+)")


def test_a_household_gets_back_in_through_the_mailed_link(phone, accounts):
    account = accounts.create("seller", name="Ibu Martha")
    phone.goto("/")
    phone.get_by_role("navigation").get_by_role("link", name="Masuk").click()
    phone.get_by_role("link", name="Lupa kata sandi?").click()
    phone.get_by_label("E-mail atau nomor HP").fill(account.email)
    phone.get_by_role("button", name="Kirim tautan").click()
    expect(phone.get_by_role("status")).to_contain_text("Bila akun dengan e-mail itu ada")

    [mail] = accounts.mails_to(account.email)
    assert "Halo Ibu Martha" in mail
    phone.goto(LINK.search(mail).group(1))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Kata sandi baru")
    assert_fits_the_phone(phone)
    phone.get_by_label("Kata sandi baru").fill("madu kelulut malinau")
    phone.get_by_role("button", name="Simpan dan masuk").click()
    expect(phone.get_by_role("status")).to_have_text("Kata sandi baru tersimpan. Anda sudah masuk.")
    expect(phone.get_by_role("navigation").get_by_role("button", name="Keluar")).to_be_visible()

    # The new password is the one that opens the account from now on.
    sign_out(phone)
    sign_in(phone, account.email, "madu kelulut malinau")
