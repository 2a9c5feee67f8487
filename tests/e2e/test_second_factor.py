"""An admin sets up the authenticator app before any admin page, then signs in with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_fits_the_phone, authenticator_code, sign_out

pytestmark = pytest.mark.e2e


def test_an_admin_sets_up_totp_and_signs_in_with_the_code(phone, accounts):
    account = accounts.create("admin", name="Admin Keamanan", second_factor=False)
    phone.goto("/")
    phone.get_by_role("navigation").get_by_role("link", name="Masuk").click()
    phone.get_by_label("E-mail atau nomor HP").fill(account.email)
    phone.get_by_label("Kata sandi").fill(account.password)
    phone.locator("main").get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("status")).to_have_text("Anda sudah masuk.")

    # Any admin page sends the admin to set up the second factor first.
    phone.get_by_role("navigation").get_by_role("link", name="Pencairan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Keamanan akun")
    expect(phone.locator("main")).to_contain_text("Admin wajib memakai verifikasi dua langkah")
    phone.get_by_role("button", name="Siapkan verifikasi dua langkah").click()
    expect(phone.locator("#totp-qr svg")).to_be_visible()
    assert_fits_the_phone(phone)
    # The phone's app reads the QR code, or the key typed from under it.
    secret = phone.locator("#totp-secret").inner_text()
    phone.get_by_label("Kode verifikasi").fill(authenticator_code(secret))
    phone.get_by_role("button", name="Aktifkan").click()
    expect(phone.get_by_role("status")).to_have_text("Verifikasi dua langkah aktif.")
    expect(phone.locator("#recovery-codes li")).to_have_count(10)
    phone.get_by_role("navigation").get_by_role("link", name="Pencairan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pencairan ke rumah tangga")

    # Next time, the password and then the code from the app.
    sign_out(phone)
    phone.get_by_role("navigation").get_by_role("link", name="Masuk").click()
    phone.get_by_label("E-mail atau nomor HP").fill(account.email)
    phone.get_by_label("Kata sandi").fill(account.password)
    phone.locator("main").get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Verifikasi dua langkah")
    phone.get_by_label("Kode verifikasi").fill("000000")
    phone.locator("main").get_by_role("button", name="Masuk").click()
    expect(phone.locator("main")).to_contain_text("Kode salah atau sudah dipakai.")
    phone.get_by_label("Kode verifikasi").fill(authenticator_code(secret))
    phone.locator("main").get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("status")).to_have_text("Anda sudah masuk.")
    phone.get_by_role("navigation").get_by_role("link", name="Pencairan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pencairan ke rumah tangga")
