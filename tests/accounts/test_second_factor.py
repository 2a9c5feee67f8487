"""A second factor (TOTP) over HTTP: set up with the QR code, asked after the password,
recovery codes once each, admins made to have it; codes computed with pyotp on the app's
clock."""

from __future__ import annotations

import re

import pyotp
import pytest
import segno
from sqlalchemy import delete, select

from marketplace.accounts import twofactor
from marketplace.accounts.models import RecoveryCode, Role, SecondFactor
from marketplace.db import db
from tests import factories
from tests.factories import PASSWORD


def code_at(clock, secret: str) -> str:
    """What the phone's app shows at the app's clock."""
    return pyotp.TOTP(secret).at(clock.now)


def password_step(client, user):
    return client.post("/akun/masuk", data={"login": user.email, "password": PASSWORD})


def signed_in(client) -> bool:
    return "Keluar" in client.get("/").get_data(as_text=True)


def set_up(client, clock, user) -> tuple[str, list[str]]:
    """The user sets up the app from the security page; its secret and recovery codes."""
    page = client.get("/akun/keamanan").get_data(as_text=True)
    assert "Siapkan verifikasi dua langkah" in page
    assert client.post("/akun/keamanan/totp/mulai").status_code == 303
    page = client.get("/akun/keamanan").get_data(as_text=True)
    assert '<figure class="qr" id="totp-qr"><svg' in page
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    # The QR code is the otpauth link an authenticator app reads: the secret, the account.
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=twofactor.ISSUER)
    assert segno.make(uri, error="m").svg_inline(scale=4, title=twofactor.ISSUER) in page
    wrong = client.post("/akun/keamanan/totp", data={"code": "000000"})
    assert wrong.status_code == 400
    assert "Kode salah. Ketik 6 angka yang tampil di aplikasi." in wrong.get_data(as_text=True)
    done = client.post("/akun/keamanan/totp", data={"code": code_at(clock, secret)})
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert "Verifikasi dua langkah aktif." in page
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def test_an_approver_sets_up_totp_and_signs_in_with_a_code_each_time_once(client, login_as, clock):
    head = factories.make_officer(can_approve=True)
    db.session.commit()
    login_as(user=head)
    secret, codes = set_up(client, clock, head)
    # Only the hashes are kept, and the factor is on.
    stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    client.post("/akun/keluar")

    # The password alone does not sign in: the code is asked next.
    response = password_step(client, head)
    assert response.status_code == 303 and response.headers["Location"] == "/akun/masuk/kode"
    assert not signed_in(client)
    page = client.get("/akun/masuk/kode").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    wrong = client.post("/akun/masuk/kode", data={"code": "123456"})
    assert wrong.status_code == 400
    assert "Kode salah atau sudah dipakai." in wrong.get_data(as_text=True)
    # The setup's code is used up; the app's next one signs in.
    assert client.post("/akun/masuk/kode", data={"code": code_at(clock, secret)}).status_code == 400
    clock.move(seconds=30)
    code = code_at(clock, secret)
    assert client.post("/akun/masuk/kode", data={"code": code}).status_code == 302
    assert signed_in(client)
    client.post("/akun/keluar")

    # The same code again (seen over a shoulder) is refused; the next one is taken.
    password_step(client, head)
    assert client.post("/akun/masuk/kode", data={"code": code}).status_code == 400
    clock.move(seconds=30)
    assert client.post("/akun/masuk/kode", data={"code": code_at(clock, secret)}).status_code == 302
    client.post("/akun/keluar")

    # A recovery code, typed any way, works once.
    password_step(client, head)
    spaced = codes[0].upper().replace("-", " ")
    assert client.post("/akun/masuk/kode", data={"code": spaced}).status_code == 302
    client.post("/akun/keluar")
    password_step(client, head)
    assert client.post("/akun/masuk/kode", data={"code": codes[0]}).status_code == 400

    # The password's step lasts five minutes.
    clock.move(minutes=6)
    late = client.post("/akun/masuk/kode", data={"code": code_at(clock, secret)})
    assert late.status_code == 303 and late.headers["Location"] == "/akun/masuk"
    assert not signed_in(client)

    # Signed in again, the approver may turn it off with the password and a code.
    password_step(client, head)
    clock.move(seconds=30)
    assert client.post("/akun/masuk/kode", data={"code": code_at(clock, secret)}).status_code == 302
    page = client.get("/akun/keamanan").get_data(as_text=True)
    assert "Sisa kode cadangan: 9." in page
    clock.move(seconds=30)
    off = client.post(
        "/akun/keamanan/totp/matikan", data={"password": PASSWORD, "code": code_at(clock, secret)}
    )
    assert off.status_code == 303
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == head.id)) is None


def test_codes_are_rate_limited_like_the_password(client, login_as, clock, rate_limits):
    head = factories.make_officer(can_approve=True)
    factories.enrol_second_factor(head, "KRAYANKRAYANKRAYANKRAYANKRAYAN22")
    db.session.commit()
    password_step(client, head)
    statuses = [
        client.post(
            "/akun/masuk/kode",
            data={"code": f"00000{n}"},
            environ_base={"REMOTE_ADDR": f"10.0.2.{n}"},
        ).status_code
        for n in range(7)
    ]
    assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]
    right = client.post(
        "/akun/masuk/kode", data={"code": code_at(clock, "KRAYANKRAYANKRAYANKRAYANKRAYAN22")}
    )
    assert right.status_code == 429 and not signed_in(client)


def test_an_admin_without_a_second_factor_is_sent_to_set_it_up_first(client, login_as, clock):
    admin = factories.make_user(roles=[Role.ADMIN])
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == admin.id))
    db.session.commit()
    login_as(user=admin)
    for path in ("/admin/pencairan", "/akun/admin/pengguna", "/pkk/tinjauan"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/akun/keamanan"
    page = client.get("/akun/keamanan").get_data(as_text=True)
    assert "Admin wajib memakai verifikasi dua langkah. Aktifkan dulu." in page
    assert client.post("/admin/pencairan/jalankan").headers["Location"] == "/akun/keamanan"
    set_up(client, clock, admin)
    assert client.get("/admin/pencairan").status_code == 200
    page = client.get("/akun/keamanan").get_data(as_text=True)
    assert "Admin wajib memakai verifikasi dua langkah." in page
    assert "Matikan verifikasi dua langkah" not in page
    clock.move(seconds=30)
    secret = db.session.scalar(select(SecondFactor.secret).where(SecondFactor.user_id == admin.id))
    refused = client.post(
        "/akun/keamanan/totp/matikan", data={"password": PASSWORD, "code": code_at(clock, secret)}
    )
    assert refused.status_code == 400
    assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == admin.id))


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER, Role.OFFICER])
def test_others_cannot_turn_it_on(client, login_as, role):
    login_as(role)
    page = client.get("/akun/keamanan").get_data(as_text=True)
    assert "tersedia untuk admin dan pejabat yang menyetujui penawaran" in page
    client.post("/akun/keamanan/totp/mulai")
    assert db.session.scalar(select(SecondFactor)) is None
