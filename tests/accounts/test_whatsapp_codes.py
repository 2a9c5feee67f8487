"""Codes by WhatsApp, against the Cloud API test server: a household with only its phone
sets a forgotten password again, and a new phone number counts only once confirmed."""

from __future__ import annotations

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.accounts.passwords import verify_password
from marketplace.db import db
from tests import factories
from tests.factories import PASSWORD
from tests.notify.conftest import cloud_api  # noqa: F401  (the fixture)

NEW_PASSWORD = "amplang ikan tenggiri"


def phone_only_household(phone: str = "+6281255501234") -> User:
    user = factories.make_user(phone=phone, name="Ibu Sari")
    user.email = None
    db.session.commit()
    return user


def codes_sent_to(server, phone: str) -> list[str]:
    """The codes the Cloud API was asked to send to ``phone`` (template kode_verifikasi)."""
    jobs.run_pending_jobs()
    return [
        message["params"][0]
        for message in server.sent
        if message["to"] == phone.lstrip("+") and message["template"] == "kode_verifikasi"
    ]


def test_a_phone_only_household_sets_a_new_password_with_a_code(client, cloud_api):  # noqa: F811
    user = phone_only_household()
    response = client.post("/akun/lupa-sandi", data={"login": "0812-5550-1234"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/akun/lupa-sandi/kode")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kode 6 angka lewat WhatsApp" in page and 'value="0812-5550-1234"' in page
    [code] = codes_sent_to(cloud_api, "+6281255501234")
    [message] = [m for m in cloud_api.sent if m["template"] == "kode_verifikasi"]
    assert message["button"] == code and len(code) == 6 and code.isascii()

    wrong = client.post(
        "/akun/lupa-sandi/kode",
        data={
            "login": "0812-5550-1234",
            "code": "000000" if code != "000000" else "111111",
            "password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400 and "Kode salah" in wrong.get_data(as_text=True)

    done = client.post(
        "/akun/lupa-sandi/kode",
        data={"login": "0812-5550-1234", "code": code, "password": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert "Keluar" in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, NEW_PASSWORD)

    client.post("/akun/keluar")
    again = client.post(
        "/akun/lupa-sandi/kode",
        data={"login": "0812-5550-1234", "code": code, "password": "kata sandi lain lagi"},
    )
    assert again.status_code == 400  # a code works once


def test_an_unknown_number_gets_the_same_answer_and_no_message(client, cloud_api):  # noqa: F811
    response = client.post("/akun/lupa-sandi", data={"login": "0812-5550-9999"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/akun/lupa-sandi/kode")
    assert codes_sent_to(cloud_api, "+6281255509999") == []
    refused = client.post(
        "/akun/lupa-sandi/kode",
        data={"login": "0812-5550-9999", "code": "123456", "password": NEW_PASSWORD},
    )
    assert refused.status_code == 400 and "Kode salah" in refused.get_data(as_text=True)


def test_five_wrong_tries_end_a_code(client, cloud_api):  # noqa: F811
    user = phone_only_household()
    client.post("/akun/lupa-sandi", data={"login": "081255501234"})
    [code] = codes_sent_to(cloud_api, "+6281255501234")
    wrong = "999999" if code != "999999" else "888888"
    for _ in range(5):
        form = {"login": "081255501234", "code": wrong, "password": NEW_PASSWORD}
        assert client.post("/akun/lupa-sandi/kode", data=form).status_code == 400
    late = {"login": "081255501234", "code": code, "password": NEW_PASSWORD}
    assert client.post("/akun/lupa-sandi/kode", data=late).status_code == 400
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, PASSWORD)


def test_a_code_is_good_for_ten_minutes(client, cloud_api, clock):  # noqa: F811
    phone_only_household()
    client.post("/akun/lupa-sandi", data={"login": "081255501234"})
    [code] = codes_sent_to(cloud_api, "+6281255501234")
    clock.move(minutes=11)
    late = {"login": "081255501234", "code": code, "password": NEW_PASSWORD}
    assert client.post("/akun/lupa-sandi/kode", data=late).status_code == 400


def test_a_new_phone_number_counts_once_its_code_is_typed(client, login_as, cloud_api):  # noqa: F811
    user = factories.make_user(phone="+6281255501234")
    factories.make_user(phone="+6281255507777")
    login_as(user=user)
    assert "Ganti nomor HP" in client.get("/akun/").get_data(as_text=True)

    taken = client.post("/akun/nomor-hp", data={"phone": "0812-5550-7777", "password": PASSWORD})
    assert taken.status_code == 400
    assert "sudah dipakai akun lain" in taken.get_data(as_text=True)
    wrong = client.post("/akun/nomor-hp", data={"phone": "0813 4444 5555", "password": "salah"})
    assert wrong.status_code == 400 and 'value="0813 4444 5555"' in wrong.get_data(as_text=True)

    asked = client.post("/akun/nomor-hp", data={"phone": "0813 4444 5555", "password": PASSWORD})
    assert asked.status_code == 302 and asked.headers["Location"] == "/akun/nomor-hp/kode"
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == "+6281255501234"
    [code] = codes_sent_to(cloud_api, "+6281344445555")

    confirmed = client.post("/akun/nomor-hp/kode", data={"code": code})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == "+6281344445555"


def test_without_whatsapp_the_pages_say_to_ask_the_admin(client, login_as):
    user = factories.make_user(phone="+6281255501234")
    login_as(user=user)
    page = client.get("/akun/").get_data(as_text=True)
    assert "Hubungi admin untuk mengganti nomor HP" in page
    refused = client.post("/akun/nomor-hp", data={"phone": "0813 4444 5555", "password": PASSWORD})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == "+6281255501234"
