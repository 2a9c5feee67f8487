"""What a person does on the phone, in a few words each, for the journeys to reuse.

Helpers act through the page as a person would (labels, button names, links), and wait
through Playwright's auto-waiting ``expect``: never sleeps.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, RoleGrant, User
from marketplace.accounts.passwords import hash_password
from marketplace.db import db

PHONE_WIDTH = 360


# --- accounts the live server can see ---------------------------------------------------


@dataclass(frozen=True)
class Account:
    name: str
    email: str
    phone: str  # as a person types it, e.g. "0813 9123 4567"
    phone_e164: str
    password: str


def new_account_details(name: str = "Ibu Uji Peramban") -> Account:
    """Details no other account has: a random mobile number and e-mail."""
    digits = f"{secrets.randbelow(10**8):08d}"
    return Account(
        name=name,
        email=f"e2e-{digits}@contoh.id",
        phone=f"0813 {digits[:4]} {digits[4:]}",
        phone_e164=f"+62813{digits}",
        password=f"kelulut-krayan-{secrets.token_hex(4)}",
    )


class Accounts:
    """Accounts written with their own committed transaction (gunicorn must see them),
    and deleted at the end of the journey, with anything the journey added under them."""

    def __init__(self, app: Flask):
        self.app = app
        self._emails: list[str] = []

    def create(self, *roles: Role | str, name: str = "Ibu Uji Peramban") -> Account:
        """A signed-up account holding ``roles`` (buyer always), ready to sign in."""
        account = new_account_details(name)
        with self.app.app_context(), Session(db.engine) as session:
            user = User(
                name=account.name,
                email=account.email,
                phone=account.phone_e164,
                password_hash=hash_password(account.password),
            )
            for role in {Role.BUYER, *(Role(r) for r in roles)}:
                user.role_grants.append(RoleGrant(role=role.value))
            session.add(user)
            session.commit()
        self._emails.append(account.email)
        return account

    def forget_later(self, account: Account) -> None:
        """Delete an account the journey made through the site (sign-up) at the end."""
        self._emails.append(account.email)

    def remove_all(self) -> None:
        if not self._emails:
            return
        with self.app.app_context(), Session(db.engine) as session:
            ids = select(User.id).where(User.email.in_(self._emails))
            session.execute(delete(RoleGrant).where(RoleGrant.user_id.in_(ids)))
            session.execute(delete(User).where(User.email.in_(self._emails)))
            session.commit()


# --- what a person does -------------------------------------------------------------------


def search_from_header(page: Page, words: str) -> None:
    page.get_by_role("searchbox").fill(words)
    page.get_by_role("search").get_by_role("button").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words)


def open_card(page: Page, product_name: str) -> None:
    page.locator(".card").filter(has_text=product_name).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(product_name)


def filter_products(page: Page, **choices: str) -> None:
    """Open "Saring dan urutkan", choose options by the start of their text, and apply.

    ``filter_products(page, Daerah="Nunukan", Urutkan="Harga terendah")``.
    """
    box = page.locator("details.filter-box")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for label, text in choices.items():
        select = box.get_by_label(label, exact=True)
        option = select.locator("option", has_text=re.compile("^" + re.escape(text)))
        select.select_option(option.get_attribute("value"))
    box.get_by_role("button").click()


def sign_up(page: Page, account: Account) -> None:
    page.goto("/")
    page.get_by_role("navigation").get_by_role("link", name="Daftar").click()
    page.get_by_label("Nama lengkap").fill(account.name)
    page.get_by_label("E-mail").fill(account.email)
    page.get_by_label("Nomor HP / WhatsApp").fill(account.phone)
    page.get_by_label("Kata sandi").fill(account.password)
    page.locator("main").get_by_role("button", name="Daftar").click()
    expect(page.get_by_role("status")).to_contain_text(f"Selamat datang, {account.name}")


def sign_in(page: Page, login: str, password: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Masuk").click()
    page.get_by_label("E-mail atau nomor HP").fill(login)
    page.get_by_label("Kata sandi").fill(password)
    page.locator("main").get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("status")).to_have_text("Anda sudah masuk.")


def sign_out(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("status")).to_have_text("Anda sudah keluar.")


def switch_language(page: Page, button: str) -> None:
    """Press a language button in the footer ("English" or "Bahasa Indonesia")."""
    lang = "en" if button == "English" else "id"
    page.get_by_role("contentinfo").get_by_role("button", name=button).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def signed_in_as_nobody(page: Page) -> None:
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Masuk")).to_be_visible()
    expect(nav.get_by_role("button", name="Keluar")).to_have_count(0)


# --- what a person sees -------------------------------------------------------------------


def rupiah_values(page: Page, selector: str = ".card .price") -> list[int]:
    texts = page.locator(selector).all_inner_texts()
    assert texts, f"no prices at {selector}"
    for text in texts:
        assert re.fullmatch(r"Rp\d{1,3}(\.\d{3})*", text.strip()), text
    return [int(text.strip().removeprefix("Rp").replace(".", "")) for text in texts]


def assert_fits_the_phone(page: Page) -> None:
    """Nothing on the page makes a 360 px phone scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"


def loaded_image_source(page: Page, selector: str) -> dict:
    """Wait for the image to finish loading; its srcset, the source the browser chose, and
    its decoded size."""
    image = page.locator(selector).first
    expect(image).to_be_visible()
    handle = image.element_handle()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle)
    return image.evaluate(
        "img => ({srcset: img.srcset, current: img.currentSrc, width: img.naturalWidth})"
    )
