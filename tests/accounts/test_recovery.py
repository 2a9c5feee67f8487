"""A forgotten password: "Lupa kata sandi", a link by e-mail, a new password, signed in."""

from __future__ import annotations

import re

import pytest

from marketplace.accounts import recovery
from marketplace.accounts.models import User
from marketplace.db import db
from tests import factories

LINK = re.compile(r"http://[^/\s]+(/akun/atur-ulang/\S+)")
SAME_ANSWER = "Bila akun dengan e-mail itu ada, kami sudah mengirim tautan"


def ask_for_link(client, login: str, address: str = "10.0.2.1"):
    return client.post(
        "/akun/lupa-sandi", data={"login": login}, environ_base={"REMOTE_ADDR": address}
    )


def links_in(inbox, address: str) -> list[str]:
    """The reset links mailed to ``address`` (over the test SMTP server), oldest first."""
    return [
        LINK.search(m.get_payload(decode=True).decode()).group(1)
        for m in inbox.messages
        if m["To"] == address
    ]


def phone_only_user(phone: str) -> User:
    user = factories.make_user(phone=phone)
    user.email = None
    db.session.flush()
    return user


def test_the_sign_in_page_leads_to_lupa_kata_sandi(client):
    page = client.get("/akun/masuk").get_data(as_text=True)
    assert 'href="/akun/lupa-sandi"' in page and "Lupa kata sandi?" in page
    assert "E-mail atau nomor HP" in client.get("/akun/lupa-sandi").get_data(as_text=True)


def test_a_forgotten_password_is_set_again_through_the_mailed_link(client, app, inbox):
    user = factories.make_user(email="bu.yanti@contoh.id", name="Ibu Yanti")
    db.session.commit()
    # Her old phone is still signed in.
    old_phone = app.test_client()
    old_phone.post(
        "/akun/masuk", data={"login": "bu.yanti@contoh.id", "password": factories.PASSWORD}
    )
    assert "Keluar" in old_phone.get("/").get_data(as_text=True)

    response = ask_for_link(client, "Bu.Yanti@contoh.id ")
    assert response.status_code == 302 and response.headers["Location"] == "/akun/masuk"
    assert SAME_ANSWER in client.get("/akun/masuk").get_data(as_text=True)
    [message] = [m for m in inbox.messages if m["To"] == "bu.yanti@contoh.id"]
    assert message["Subject"] == "Atur ulang kata sandi Pasar Oleh-Oleh Kaltara"
    body = message.get_payload(decode=True).decode()
    assert "Halo Ibu Yanti" in body and "30 menit" in body
    [link] = links_in(inbox, "bu.yanti@contoh.id")

    page = client.get(link)
    assert page.status_code == 200 and "Kata sandi baru" in page.get_data(as_text=True)
    response = client.post(link, data={"password": "lempok durian tarakan"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Kata sandi baru tersimpan. Anda sudah masuk." in home and "Keluar" in home

    # The old phone's session has ended; the old password no longer opens the account.
    assert "Keluar" not in old_phone.get("/").get_data(as_text=True)
    stranger = app.test_client()
    old = {"login": "bu.yanti@contoh.id", "password": factories.PASSWORD}
    assert stranger.post("/akun/masuk", data=old).status_code == 400
    new = {"login": "bu.yanti@contoh.id", "password": "lempok durian tarakan"}
    assert stranger.post("/akun/masuk", data=new).status_code == 302

    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "Tautan ini sudah dipakai" in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, inbox):
    factories.make_user(email="ada@contoh.id")
    db.session.commit()
    answers = []
    for login in ("ada@contoh.id", "tidak.ada@contoh.id"):
        response = ask_for_link(client, login)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], SAME_ANSWER in page))
    assert answers[0] == answers[1] == (302, "/akun/masuk", True)
    assert [m["To"] for m in inbox.messages] == ["ada@contoh.id"]


def test_a_phone_number_gets_the_link_at_the_accounts_e_mail(client, inbox):
    factories.make_user(email="bu.siti@contoh.id", phone="+6281234567811")
    db.session.commit()
    response = ask_for_link(client, "0812-3456-7811")
    assert response.status_code == 302
    assert len(links_in(inbox, "bu.siti@contoh.id")) == 1


def test_a_phone_only_account_is_told_whom_to_ask_like_any_number(client, inbox):
    """No WhatsApp sender exists yet: nothing is sent, and the answer names the admin or PKK,
    word for word what a number of no account hears."""
    phone_only_user("+6281234567812")
    db.session.commit()
    pages = []
    for number in ("0812 3456 7812", "0812 3456 7899"):
        response = ask_for_link(client, number)
        assert response.status_code == 302
        page = client.get("/akun/masuk").get_data(as_text=True)
        pages.append(page.count("hubungi admin atau PKK kabupaten Anda"))
    assert pages == [1, 1]
    assert inbox.messages == []


def test_a_link_lasts_30_minutes(client, clock, inbox):
    factories.make_user(email="bu.rosa@contoh.id")
    db.session.commit()
    ask_for_link(client, "bu.rosa@contoh.id")
    [link] = links_in(inbox, "bu.rosa@contoh.id")
    clock.move(minutes=29)
    assert client.get(link).status_code == 200
    clock.move(minutes=2)
    late = client.get(link)
    assert late.status_code == 400
    page = late.get_data(as_text=True)
    assert "Tautan ini sudah lewat 30 menit" in page and 'href="/akun/lupa-sandi"' in page
    refused = client.post(link, data={"password": "lempok durian tarakan"})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    "change",
    [
        lambda link: link[:-2] + ("AA" if not link.endswith("AA") else "BB"),
        lambda link: "/akun/atur-ulang/bukan-tautan",
        lambda link: "/akun/atur-ulang/" + "x" * 3000,
    ],
)
def test_a_forged_link_is_refused(client, inbox, change):
    factories.make_user(email="bu.ina@contoh.id")
    db.session.commit()
    ask_for_link(client, "bu.ina@contoh.id")
    [link] = links_in(inbox, "bu.ina@contoh.id")
    response = client.get(change(link))
    assert response.status_code == 400
    assert "Tautan ini tidak berlaku" in response.get_data(as_text=True)


def test_a_weak_new_password_is_refused_and_the_link_still_works(client, inbox):
    factories.make_user(email="bu.nur@contoh.id")
    db.session.commit()
    ask_for_link(client, "bu.nur@contoh.id")
    [link] = links_in(inbox, "bu.nur@contoh.id")
    refused = client.post(link, data={"password": "pendek"})
    assert refused.status_code == 400
    assert "Kata sandi minimal 8 karakter." in refused.get_data(as_text=True)
    assert client.post(link, data={"password": "kopi paguntaka"}).status_code == 302


def test_a_newer_password_kills_every_older_link(client, inbox):
    factories.make_user(email="bu.eka@contoh.id")
    db.session.commit()
    ask_for_link(client, "bu.eka@contoh.id")
    ask_for_link(client, "bu.eka@contoh.id")
    first, second = links_in(inbox, "bu.eka@contoh.id")
    assert client.post(second, data={"password": "kopi paguntaka"}).status_code == 302
    assert client.get(first).status_code == 400


def test_two_uses_of_one_link_change_the_password_once(app):
    user = factories.make_user(email="bu.lia@contoh.id")
    token = recovery.reset_token(user)
    recovery.reset_password(token, "kopi paguntaka")
    with pytest.raises(recovery.AccountError):
        recovery.reset_password(token, "amplang tenggiri")


def test_every_request_counts_against_the_account_in_any_spelling(client, rate_limits, inbox):
    """Each request sends a mail, so each counts, whether or not the account exists."""
    factories.make_user(email="bu.dewi@contoh.id", phone="+6281234567813")
    db.session.commit()
    logins = ["bu.dewi@contoh.id", "0812 3456 7813", "+6281234567813", "BU.DEWI@contoh.id"]
    statuses = [
        ask_for_link(client, login, f"10.0.3.{n}").status_code for n, login in enumerate(logins)
    ]
    assert statuses == [302, 302, 302, 429]
    assert len(links_in(inbox, "bu.dewi@contoh.id")) == 3
    unknown = [ask_for_link(client, "siapa@contoh.id", f"10.0.4.{n}").status_code for n in range(4)]
    assert unknown == [302, 302, 302, 429]


def test_requests_are_limited_per_address(client, rate_limits, app, inbox):
    app.config["RESET_LIMIT_PER_ADDRESS"] = "3 per hour"
    try:
        statuses = [ask_for_link(client, f"orang{n}@contoh.id").status_code for n in range(4)]
    finally:
        app.config["RESET_LIMIT_PER_ADDRESS"] = "20 per hour"
    assert statuses == [302, 302, 302, 429]


def test_an_admin_prints_a_link_for_a_phone_only_household(app, client):
    phone_only_user("+6281234567814")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "reset-link", "0812 3456 7814"])
    assert result.exit_code == 0, result.output
    link = LINK.search(result.output).group(1)
    assert client.post(link, data={"password": "kopi paguntaka"}).status_code == 302
