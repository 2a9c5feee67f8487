"""Sign-up, sign-in and sign-out as a person meets them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.db import db
from tests import factories
from tests.conftest import csrf_token_from


def test_sign_up_creates_a_buyer_and_signs_in(client):
    response = client.post(
        "/akun/daftar",
        data={
            "name": "Ibu Wati",
            "email": "wati@contoh.id",
            "phone": "0813 5555 6666",
            "password": "dodol rumput laut",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "wati@contoh.id"))
    assert user.phone == "+6281355556666" and user.roles == {Role.BUYER}
    page = client.get("/").get_data(as_text=True)
    assert "Keluar" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "ada@contoh.id"}, "E-mail ini sudah terdaftar"),
        ({"phone": "0812-9999-7777"}, "Nomor HP ini sudah terdaftar"),
        ({"phone": "12345"}, "Nomor HP"),
        ({"password": "12345678"}, "terlalu umum"),
        ({"password": "abc12"}, "minimal 8 karakter"),
        ({"email": "", "phone": ""}, "Isi e-mail atau nomor HP"),
        ({"email": "bukan-email"}, "e-mail tidak valid"),
    ],
)
def test_sign_up_problems_come_back_with_what_was_typed(client, data, message):
    factories.make_user(email="ada@contoh.id", phone="+6281299997777")
    form = {
        "name": "Ibu Wati",
        "email": "baru@contoh.id",
        "phone": "",
        "password": "rahasia-kelulut-9",
    }
    form.update(data)
    response = client.post("/akun/daftar", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'value="Ibu Wati"' in html
    if form["email"]:
        assert f'value="{form["email"]}"' in html
    assert f'value="{form["password"]}"' not in html  # a password is never sent back


def test_sign_in_by_phone_in_any_spelling(client):
    factories.make_user(email=None, phone="+6281377778888")
    response = client.post(
        "/akun/masuk", data={"login": "0813 7777 8888", "password": factories.PASSWORD}
    )
    assert response.status_code == 302


def test_failed_sign_in_keeps_the_login_and_says_why(client):
    factories.make_user(email="ada@contoh.id")
    response = client.post("/akun/masuk", data={"login": "ada@contoh.id", "password": "salah"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "kata sandi salah" in html and 'value="ada@contoh.id"' in html


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https://evil.example/x",
        "javascript:alert(1)",
        "/\n/evil.example",
        "/\t/evil.example",
    ],
)
def test_next_never_leads_off_the_site(client, target):
    factories.make_user(email="ada@contoh.id")
    response = client.post(
        "/akun/masuk",
        query_string={"next": target},
        data={"login": "ada@contoh.id", "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_local_page_is_followed(client):
    factories.make_user(email="ada@contoh.id")
    response = client.post(
        "/akun/masuk",
        query_string={"next": "/produk?region=tarakan"},
        data={"login": "ada@contoh.id", "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/produk?region=tarakan"


def test_sign_in_starts_a_new_session(client, csrf):
    factories.make_user(email="ada@contoh.id")
    db.session.commit()
    page = client.get("/akun/masuk").get_data(as_text=True)
    token = csrf_token_from(page)
    with client.session_transaction() as session:
        before = dict(session)
    client.post(
        "/akun/masuk",
        data={"login": "ada@contoh.id", "password": factories.PASSWORD, "csrf_token": token},
    )
    with client.session_transaction() as session:
        after = dict(session)
    assert "_user_id" in after
    assert after.get("csrf_token") != before.get("csrf_token")


def test_sign_out_kills_the_old_cookie(client, app):
    factories.make_user(email="ada@contoh.id")
    client.post("/akun/masuk", data={"login": "ada@contoh.id", "password": factories.PASSWORD})
    stolen = client.get_cookie("session").value
    client.post("/akun/keluar")
    # Someone who copied the cookie before sign-out gets nothing with it.
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/akun/admin/pengguna")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]
    assert "Keluar" not in thief.get("/").get_data(as_text=True)


def test_sign_in_is_rate_limited_per_account(client, rate_limits):
    factories.make_user(email="ada@contoh.id")
    statuses = [
        client.post(
            "/akun/masuk",
            data={"login": "ada@contoh.id", "password": f"salah-{i}"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [400] * 5
    assert statuses[5:] == [429, 429]


def guess(client, login: str, n: int) -> int:
    """A wrong password for ``login``, each guess from another address."""
    return client.post(
        "/akun/masuk",
        data={"login": login, "password": f"salah-{n}"},
        environ_base={"REMOTE_ADDR": f"10.0.1.{n}"},
    ).status_code


@pytest.mark.parametrize("sixth", ["0812 3456 7801", "+62 812-3456-7801", "6281234567801"])
def test_guesses_by_e_mail_and_by_phone_count_against_one_account(client, rate_limits, sixth):
    factories.make_user(email="bu.siti@contoh.id", phone="+6281234567801")
    db.session.commit()
    assert [guess(client, "bu.siti@contoh.id", n) for n in range(5)] == [400] * 5
    assert guess(client, sixth, 5) == 429
    # The right password too, whichever way it is written: the account waits.
    right = client.post(
        "/akun/masuk", data={"login": "BU.SITI@contoh.id ", "password": factories.PASSWORD}
    )
    assert right.status_code == 429


def test_phone_spellings_of_one_account_share_its_limit(client, rate_limits):
    factories.make_user(email="bu.ani@contoh.id", phone="+6281234567802")
    db.session.commit()
    spellings = ["081234567802", "+6281234567802", "6281234567802", "0812-3456-7802"]
    statuses = [guess(client, login, n) for n, login in enumerate(spellings)]
    statuses.append(guess(client, "Bu.Ani@contoh.id", 4))
    assert statuses == [400] * 5
    assert guess(client, "bu.ani@contoh.id", 5) == 429


def test_a_login_of_no_account_is_limited_the_same(client, rate_limits):
    """Nobody learns whether an account exists from when the limit starts."""
    assert [guess(client, "0812 9876 5400", n) for n in range(5)] == [400] * 5
    assert guess(client, "+6281298765400", 5) == 429
    assert [guess(client, "tidak.ada@contoh.id", n) for n in range(6)] == [400] * 5 + [429]


def test_sign_ins_that_work_never_count_against_a_limit(client, rate_limits, app):
    """A household on several phones, a PKK training room on one wifi: nobody waits."""
    factories.make_user(email="bu.rina@contoh.id")
    db.session.commit()
    app.config["SIGNIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    try:
        statuses = []
        for _ in range(8):
            response = client.post(
                "/akun/masuk", data={"login": "bu.rina@contoh.id", "password": factories.PASSWORD}
            )
            statuses.append(response.status_code)
            client.post("/akun/keluar")
        # Guesses still count, and the account's limit starts after five of them.
        guesses = [guess(client, "bu.rina@contoh.id", n) for n in range(6)]
    finally:
        app.config["SIGNIN_LIMIT_PER_ADDRESS"] = "20 per minute"
    assert statuses == [302] * 8
    assert guesses == [400] * 5 + [429]


def test_sign_in_is_rate_limited_per_address(client, rate_limits, app):
    app.config["SIGNIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    try:
        statuses = [
            client.post(
                "/akun/masuk", data={"login": f"orang{i}@contoh.id", "password": "x"}
            ).status_code
            for i in range(4)
        ]
        refused = client.post("/akun/masuk", data={"login": "lain@contoh.id", "password": "x"})
    finally:
        app.config["SIGNIN_LIMIT_PER_ADDRESS"] = "20 per minute"
    assert statuses == [400, 400, 400, 429]
    assert "Terlalu banyak percobaan" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        ("buyer", 403),
        ("seller", 403),
        ("reviewer", 403),
        ("officer", 403),
        ("admin", 200),
    ],
)
def test_only_admins_see_the_role_page(client, login_as, role, status):
    if role:
        login_as(role)
    assert client.get("/akun/admin/pengguna").status_code == status


def test_admin_grants_and_revokes_a_role(client, login_as):
    login_as("admin")
    user = factories.make_user(email="calon@contoh.id")
    db.session.commit()
    client.post(
        f"/akun/admin/pengguna/{user.id}/peran", data={"role": "reviewer", "action": "grant"}
    )
    db.session.refresh(user)
    assert user.roles == {Role.BUYER, Role.REVIEWER}
    client.post(
        f"/akun/admin/pengguna/{user.id}/peran", data={"role": "reviewer", "action": "revoke"}
    )
    db.session.refresh(user)
    assert user.roles == {Role.BUYER}


def test_cli_creates_an_admin_and_grants_roles(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "kepala@contoh.id",
            "--password",
            "panjang-sekali-2026",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "grant", "kepala@contoh.id", "officer"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "kepala@contoh.id"))
    assert user.roles == {Role.BUYER, Role.ADMIN, Role.OFFICER}


def test_the_last_admin_keeps_the_admin_role(app):
    """``users revoke`` of the only active admin would leave nobody to run the site; with a
    second admin it goes ahead. A closed account's grant does not count as an admin."""
    runner = app.test_cli_runner()
    for demo_admin in db.session.scalars(select(User).where(User.email == "admin@demo.id")):
        demo_admin.is_active_account = False  # closed: the grant stays, nobody signs in
    first = factories.make_user(roles=[Role.ADMIN], email="pertama@contoh.id")
    db.session.commit()
    result = runner.invoke(args=["users", "revoke", "pertama@contoh.id", "admin"])
    assert result.exit_code == 1
    assert "admin terakhir" in result.output and "Traceback" not in result.output
    db.session.expire_all()
    assert Role.ADMIN in first.roles
    second = factories.make_user(roles=[Role.ADMIN], email="kedua@contoh.id")
    db.session.commit()
    result = runner.invoke(args=["users", "revoke", "pertama@contoh.id", "admin"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert Role.ADMIN not in first.roles and Role.ADMIN in second.roles
