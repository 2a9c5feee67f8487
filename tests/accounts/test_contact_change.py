"""Changing the account's e-mail: the new address confirms first, the old one is told."""

from __future__ import annotations

import re

from marketplace.accounts.models import User
from marketplace.db import db
from tests import factories
from tests.factories import PASSWORD

LINK = re.compile(r"http://[^/\s]+(/akun/surel/\S+)")


def mails_to(inbox, address: str):
    return [m for m in inbox.messages if m["To"] == address]


def link_in(message) -> str:
    return LINK.search(message.get_payload(decode=True).decode()).group(1)


def ask(client, email: str, password: str = PASSWORD):
    return client.post("/akun/", data={"email": email, "password": password})


def test_a_new_email_counts_only_once_its_link_is_opened(client, login_as, inbox):
    user = factories.make_user(email="wati@contoh.id", name="Ibu Wati")
    login_as(user=user)
    assert "Ganti e-mail" in client.get("/akun/").get_data(as_text=True)

    response = ask(client, " Wati.Baru@Contoh.id ")
    assert response.status_code == 302
    assert "Kami mengirim tautan ke wati.baru@contoh.id" in client.get("/akun/").get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "wati@contoh.id"
    [note] = mails_to(inbox, "wati@contoh.id")
    assert "wati.baru@contoh.id" in note.get_payload(decode=True).decode()
    [confirmation] = mails_to(inbox, "wati.baru@contoh.id")
    link = link_in(confirmation)

    asked = client.get(link).get_data(as_text=True)
    assert "Pakai wati.baru@contoh.id sebagai e-mail akun Anda?" in asked
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "wati@contoh.id"

    assert client.post(link).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "wati.baru@contoh.id"
    again = client.get(link)
    assert again.status_code == 400 and "sudah dipakai" in again.get_data(as_text=True)


def test_a_wrong_password_or_a_taken_address_changes_nothing_and_keeps_what_was_typed(
    client, login_as, inbox
):
    factories.make_user(email="sudah.ada@contoh.id")
    user = factories.make_user(email="rina@contoh.id")
    login_as(user=user)

    wrong = ask(client, "rina.baru@contoh.id", password="bukan ini")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "Kata sandi salah" in page
    assert 'value="rina.baru@contoh.id"' in page

    taken = ask(client, "sudah.ada@contoh.id")
    assert taken.status_code == 400
    assert "E-mail ini sudah dipakai akun lain" in taken.get_data(as_text=True)
    bad = ask(client, "bukan-email")
    assert bad.status_code == 400 and "e-mail tidak valid" in bad.get_data(as_text=True)
    assert inbox.messages == []


def test_an_address_taken_after_the_link_was_sent_is_refused(client, login_as, inbox):
    user = factories.make_user(email="ani@contoh.id")
    login_as(user=user)
    ask(client, "ani.baru@contoh.id")
    link = link_in(mails_to(inbox, "ani.baru@contoh.id")[0])
    factories.make_user(email="ani.baru@contoh.id")
    db.session.commit()

    response = client.post(link)
    assert response.status_code == 400
    assert "E-mail ini sudah dipakai akun lain" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "ani@contoh.id"


def test_a_forged_or_old_link_is_refused(client, login_as, inbox, clock):
    user = factories.make_user(email="budi@contoh.id")
    login_as(user=user)
    ask(client, "budi.baru@contoh.id")
    link = link_in(mails_to(inbox, "budi.baru@contoh.id")[0])

    forged = client.get(link[:-3] + "xyz")
    assert forged.status_code == 400 and "tidak berlaku" in forged.get_data(as_text=True)
    clock.move(minutes=61)
    old = client.post(link)
    assert old.status_code == 400 and "lewat 60 menit" in old.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "budi@contoh.id"
