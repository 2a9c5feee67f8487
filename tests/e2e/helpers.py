"""What a person does on the phone, in a few words each, for the journeys to reuse.

Helpers act through the page as a person would (labels, button names, links), and wait
through Playwright's auto-waiting ``expect``: never sleeps.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import RecoveryCode, Role, RoleGrant, SecondFactor, User
from marketplace.accounts.passwords import hash_password
from marketplace.catalog.models import (
    Category,
    LicenceReminder,
    PhotoUpload,
    Product,
    ProductPhoto,
    ProductStatus,
    ProductStatusChange,
    Region,
    Seller,
)
from marketplace.catalog.photos import process_photo
from marketplace.db import db, now_utc
from marketplace.mail import OutgoingMail
from marketplace.pagecache import bump_catalog_version
from marketplace.sellers.models import SellerApplication, SellerApplicationChange
from marketplace.storage import get_storage

PHONE_WIDTH = 360


# --- accounts the live server can see ---------------------------------------------------


@dataclass(frozen=True)
class Account:
    name: str
    email: str
    phone: str  # as a person types it, e.g. "0813 9123 4567"
    phone_e164: str
    password: str
    #: the authenticator app's secret, for an account with a second factor (every admin)
    totp_secret: str = ""


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


@dataclass(frozen=True)
class Shop:
    """A household shop, as typed in the application to open it."""

    name: str
    owner_name: str
    region: str  # as the region list shows it, e.g. "Kabupaten Nunukan"
    village: str
    whatsapp: str
    story: str


def new_shop_details(owner_name: str = "Ibu Uji Peramban") -> Shop:
    """A shop name no other shop has (a random word in it, to find it by)."""
    return Shop(
        name=f"Anyaman Uji {secrets.token_hex(3)}",
        owner_name=owner_name,
        region="Kabupaten Nunukan",
        village="Desa Long Bawan",
        whatsapp=f"0852 {secrets.randbelow(10**8):08d}",
        story="Tas dan topi rotan anyaman tangan ibu-ibu Lundayeh di Krayan.",
    )


class Accounts:
    """Accounts written with their own committed transaction (gunicorn must see them),
    and deleted at the end of the journey, with anything the journey added under them:
    shop applications, shops, products, their photos and status changes, mails to them."""

    def __init__(self, app: Flask):
        self.app = app
        self._emails: list[str] = []

    def create(
        self, *roles: Role | str, name: str = "Ibu Uji Peramban", second_factor: bool = True
    ) -> Account:
        """A signed-up account holding ``roles`` (buyer always), ready to sign in; an admin
        with its authenticator app set up, unless ``second_factor`` is False."""
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
            session.flush()
            if second_factor and Role.ADMIN in {Role(r) for r in roles}:
                # Admins must have a second factor: this one's app was set up already.
                account = Account(**{**account.__dict__, "totp_secret": pyotp.random_base32()})
                session.add(
                    SecondFactor(
                        user_id=user.id, secret=account.totp_secret, confirmed_at=now_utc()
                    )
                )
            session.commit()
        self._emails.append(account.email)
        return account

    def create_household(self, shop: Shop, name: str = "Ibu Uji Peramban") -> Account:
        """A seller account that already owns ``shop`` (open, active), ready to list."""
        account = self.create(Role.SELLER, name=name)
        with self.app.app_context(), Session(db.engine) as session:
            _kind, region_name = shop.region.split(" ", 1)
            region = session.scalar(select(Region).where(Region.name == region_name))
            session.add(
                Seller(
                    slug=f"e2e-{secrets.token_hex(4)}",
                    shop_name=shop.name,
                    owner_name=shop.owner_name,
                    story=shop.story,
                    region_id=region.id,
                    village=shop.village,
                    whatsapp=account.phone_e164,
                    user_id=session.scalar(select(User.id).where(User.email == account.email)),
                )
            )
            session.commit()
        return account

    def publish_product(self, shop: Shop, name: str, photo: bytes, price: int = 185_000) -> str:
        """A public craft of ``shop`` (made with ``create_household``), with ``photo`` as its
        cover stored as an upload is; its slug."""
        with self.app.app_context(), Session(db.engine) as session:
            stored = process_photo(photo, get_storage(), self.app.config["PHOTO_WIDTHS"])
            seller = session.scalar(select(Seller).where(Seller.shop_name == shop.name))
            category = session.scalar(select(Category).where(Category.slug == "anyaman"))
            product = Product(
                slug=f"e2e-{secrets.token_hex(4)}",
                seller=seller,
                category=category,
                name=name,
                description="Tas anyaman rotan, dianyam tangan.",
                price_amount=price,
                stock=5,
                unit="buah",
                weight_grams=400,
                kind=category.kind,
                status=ProductStatus.PUBLISHED.value,
                published_at=now_utc(),
            )
            product.photos.append(
                ProductPhoto(
                    key=stored.key,
                    width=stored.width,
                    height=stored.height,
                    variant_widths=",".join(str(w) for w in stored.widths),
                )
            )
            session.add(product)
            bump_catalog_version(session)
            session.commit()
            return product.slug

    def forget_later(self, account: Account) -> None:
        """Delete an account the journey made through the site (sign-up) at the end."""
        self._emails.append(account.email)

    def mails_to(self, email: str) -> list[str]:
        """The bodies of the mails the site wrote to ``email`` (its outbox), oldest first."""
        with self.app.app_context(), Session(db.engine) as session:
            query = select(OutgoingMail.body).where(OutgoingMail.to == email)
            return list(session.scalars(query.order_by(OutgoingMail.id)))

    def remove_all(self) -> None:
        """Delete the accounts and everything under them, children before parents.

        Rows of other people that these accounts acted on (status changes, role grants,
        decisions) keep their row: the foreign keys set the actor to NULL. Stored photo
        files stay: their keys are content hashes another product may share.
        """
        if not self._emails:
            return
        users = select(User.id).where(User.email.in_(self._emails))
        sellers = select(Seller.id).where(Seller.user_id.in_(users))
        products = select(Product.id).where(Product.seller_id.in_(sellers))
        applications = select(SellerApplication.id).where(SellerApplication.user_id.in_(users))
        with self.app.app_context(), Session(db.engine) as session:
            for statement in (
                delete(LicenceReminder).where(LicenceReminder.product_id.in_(products)),
                delete(ProductStatusChange).where(ProductStatusChange.product_id.in_(products)),
                delete(ProductPhoto).where(ProductPhoto.product_id.in_(products)),
                delete(Product).where(Product.id.in_(products)),
                delete(PhotoUpload).where(PhotoUpload.seller_id.in_(sellers)),
                delete(SellerApplicationChange).where(
                    SellerApplicationChange.application_id.in_(applications)
                ),
                delete(SellerApplication).where(SellerApplication.id.in_(applications)),
                delete(Seller).where(Seller.id.in_(sellers)),
                delete(RoleGrant).where(RoleGrant.user_id.in_(users)),
                delete(SecondFactor).where(SecondFactor.user_id.in_(users)),
                delete(RecoveryCode).where(RecoveryCode.user_id.in_(users)),
                delete(User).where(User.id.in_(users)),
                delete(OutgoingMail).where(OutgoingMail.to.in_(self._emails)),
            ):
                session.execute(statement)
            # Core deletes pass no flush: move the catalogue version by hand, so that no
            # server keeps showing a cached page with the products just removed.
            bump_catalog_version(session)
            session.commit()


# --- what a person does -------------------------------------------------------------------


def search_from_header(page: Page, words: str) -> None:
    # A searchbox, or a combobox once the suggestions script has run: found by its label.
    page.get_by_label("Cari oleh-oleh", exact=True).fill(words)
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
    with page.expect_navigation():
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


#: the last 30-second step each authenticator secret signed in with (a code is taken once)
_STEPS_USED: dict[str, int] = {}


def authenticator_code(secret: str) -> str:
    """What the phone's authenticator app shows now; the next step's code when this step's
    was already used (the site takes the codes of one step either side)."""
    totp = pyotp.TOTP(secret)
    step = max(int(time.time()) // totp.interval, _STEPS_USED.get(secret, -1) + 1)
    _STEPS_USED[secret] = step
    return totp.generate_otp(step)


def sign_in(page: Page, login: str, password: str, totp_secret: str = "") -> None:
    page.get_by_role("navigation").get_by_role("link", name="Masuk").click()
    page.get_by_label("E-mail atau nomor HP").fill(login)
    page.get_by_label("Kata sandi").fill(password)
    page.locator("main").get_by_role("button", name="Masuk").click()
    if totp_secret:
        page.get_by_label("Kode verifikasi").fill(authenticator_code(totp_secret))
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


def sign_in_as(page: Page, account: Account) -> None:
    page.goto("/")
    sign_in(page, account.email, account.password, account.totp_secret)


def go_to(page: Page, link: str) -> None:
    """Follow a link of the account menu in the header ("Toko saya", "Tinjauan PKK", …)."""
    page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()


def packaging_photo(path: Path, colour: tuple[int, int, int] = (150, 105, 50)) -> Path:
    """A real JPEG as a phone gallery holds it: a packed product on a table."""
    image = Image.new("RGB", (1200, 900), (236, 228, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 180, 900, 760), fill=colour, outline=(40, 30, 20), width=12)
    draw.rectangle((380, 300, 820, 420), fill=(250, 246, 238))
    draw.ellipse((520, 520, 680, 680), fill=(90, 60, 30))
    image.save(path, "JPEG", quality=88)
    return path


def portrait_photo() -> bytes:
    """A real phone photo held upright (3:4): a tall jar of honey on a table."""
    image = Image.new("RGB", (900, 1200), (228, 220, 204))
    draw = ImageDraw.Draw(image)
    draw.rectangle((250, 200, 650, 1050), fill=(176, 112, 28), outline=(60, 40, 20), width=12)
    draw.rectangle((300, 480, 600, 700), fill=(250, 246, 238))
    draw.rectangle((270, 120, 630, 210), fill=(90, 60, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def choose_photos(page: Page, label: str, *photos: Path) -> None:
    """Pick photos with the file picker, and wait for the page to have shrunk them."""
    # photo-shrink.js (deferred) listens for the choice; it runs before the load event.
    page.wait_for_load_state()
    picker = page.get_by_label(label, exact=True)
    picker.set_input_files([str(photo) for photo in photos])
    expect(picker).to_have_attribute("data-shrunk", "true")


def apply_for_shop(page: Page, shop: Shop, photo: Path) -> None:
    """From any page, signed in without a shop: send the application to open ``shop``."""
    go_to(page, "Buka toko")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Buka toko di Pasar Oleh-Oleh Kaltara"
    )
    page.get_by_label("Nama toko").fill(shop.name)
    page.get_by_label("Nama pemilik").fill(shop.owner_name)
    page.get_by_label("Kabupaten/kota").select_option(label=shop.region)
    page.get_by_label("Desa/kelurahan").fill(shop.village)
    page.get_by_label("Nomor WhatsApp").fill(shop.whatsapp)
    page.get_by_label("Cerita usaha Anda").fill(shop.story)
    choose_photos(page, "Foto usaha atau produk", photo)
    page.get_by_role("button", name="Kirim pengajuan").click()
    expect(page.get_by_role("status")).to_have_text("Pengajuan terkirim. Tim PKK akan meninjaunya.")


def decide_application(page: Page, shop_name: str, decision: str, note: str = "") -> None:
    """A reviewer opens the application for ``shop_name`` and presses ``decision``
    ("Setujui dan buka toko" or "Tolak"), with ``note`` as the reason."""
    go_to(page, "Pengajuan toko")
    page.locator(".listing li").filter(has_text=shop_name).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(shop_name)
    if note:
        page.get_by_label("Alasan atau catatan").fill(note)
    page.get_by_role("button", name=decision).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pengajuan toko")


@dataclass(frozen=True)
class Listing:
    """A product as a household types it on the form (a craft: no P-IRT needed)."""

    name: str
    category: str = "Anyaman Rotan"
    price: str = "185rb"
    unit: str = "buah"
    stock: str = "6"
    weight_grams: str = "400"
    description: str = "Tas anyaman rotan motif Lundayeh, dianyam tangan, tinggi 30 cm."


def list_product(page: Page, listing: Listing, *photos: Path) -> None:
    """From any page, as a seller: add a product with photos from the picker; it is a draft."""
    go_to(page, "Toko saya")
    page.get_by_role("link", name="Tambah produk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Produk baru")
    choose_photos(page, "Foto produk dan kemasan", *photos)
    page.get_by_label("Nama produk").fill(listing.name)
    page.get_by_label("Kategori").select_option(label=listing.category)
    page.get_by_label("Harga (Rp)").fill(listing.price)
    page.get_by_label("Satuan jual").fill(listing.unit)
    page.get_by_label("Stok", exact=True).fill(listing.stock)
    page.get_by_label("Berat kirim (gram)").fill(listing.weight_grams)
    page.get_by_label("Keterangan").fill(listing.description)
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_role("status")).to_have_text("Produk disimpan sebagai draf.")
    expect(page.get_by_role("heading", level=1)).to_have_text(listing.name)
    expect(status_label(page)).to_have_text("Draf")


def open_my_product(page: Page, name: str) -> None:
    """From any page, as a seller: open one of my products from "Toko saya"."""
    go_to(page, "Toko saya")
    my_listing(page, name).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def add_photos_to_product(page: Page, *photos: Path) -> None:
    """On my product's page: add photos with the picker and save."""
    choose_photos(page, "Foto produk dan kemasan", *photos)
    page.get_by_role("button", name="Simpan perubahan").click()
    expect(page.get_by_role("status").first).to_have_text("Perubahan disimpan.")


def submit_for_review(page: Page) -> None:
    """On my product's page: send it to the PKK."""
    page.get_by_role("button", name="Ajukan ke PKK").click()
    expect(page.get_by_role("status")).to_have_text(
        "Produk diajukan. Tim PKK akan meninjau kemasannya."
    )
    expect(status_label(page)).to_have_text("Ditinjau PKK")


def review_product(page: Page, name: str, decision: str, note: str = "") -> None:
    """A reviewer opens ``name`` from the queue and presses ``decision`` ("Setujui
    kemasan" or "Minta perbaikan") with ``note`` for the seller; back at the queue."""
    open_review(page, name)
    if note:
        page.get_by_label("Catatan untuk penjual").fill(note)
    page.get_by_role("button", name=decision).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tinjauan kemasan")


def open_review(page: Page, name: str) -> None:
    go_to(page, "Tinjauan PKK")
    page.locator(".listing li").filter(has_text=name).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


# --- what a person sees -------------------------------------------------------------------


def status_label(page: Page) -> Locator:
    """The status label of the page's product or shop application."""
    return page.locator("main .status")


def my_listing(page: Page, name: str) -> Locator:
    """One product on the seller's "Toko saya" list."""
    return page.locator(".listing li").filter(has_text=name)


def rupiah_values(page: Page, selector: str = ".card .price") -> list[int]:
    texts = page.locator(selector).all_inner_texts()
    assert texts, f"no prices at {selector}"
    for text in texts:
        assert re.fullmatch(r"Rp\d{1,3}(\.\d{3})*", text.strip()), text
    return [int(text.strip().removeprefix("Rp").replace(".", "")) for text in texts]


def assert_on_first_screen(page: Page, *locators: Locator) -> None:
    """Each of ``locators`` is shown whole inside the screen as the page is (no scrolling)."""
    height = page.viewport_size["height"]
    for locator in locators:
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
            f"{locator} spans {box['y']:.0f}-{box['y'] + box['height']:.0f} px "
            f"on a {height} px high screen"
        )


def assert_fits_the_phone(page: Page) -> None:
    """Nothing on the page makes a 360 px phone scroll sideways (measured once the page and
    its stylesheet have loaded: a page caught mid-navigation is not yet laid out)."""
    page.wait_for_load_state("load")
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
