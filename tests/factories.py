"""Factories: the one place tests make rows. Each returns a flushed object."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from PIL import Image
from sqlalchemy import select

from marketplace.accounts.models import Role, RoleGrant, SecondFactor, User
from marketplace.accounts.passwords import hash_password
from marketplace.catalog.models import (
    Category,
    Product,
    ProductPhoto,
    ProductStatus,
    Region,
    Seller,
)
from marketplace.catalog.services import refresh_search_text
from marketplace.db import db, now_utc

PASSWORD = "kata-sandi-uji-2026"
_sequence = itertools.count(1)


def make_user(
    *, roles=(Role.BUYER,), email=None, phone=None, name="Pengguna Uji", password=PASSWORD
) -> User:
    n = next(_sequence)
    user = User(
        name=name,
        email=email if email is not None else f"uji{n}@contoh.id",
        phone=phone,
        password_hash=hash_password(password),
    )
    for role in roles:
        user.role_grants.append(RoleGrant(role=Role(role).value))
    db.session.add(user)
    db.session.flush()
    if Role.ADMIN in {Role(role) for role in roles}:
        enrol_second_factor(user)
    return user


#: the authenticator secret of every admin the factories make (admins must have one)
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_second_factor(user: User, secret: str = ADMIN_TOTP_SECRET) -> SecondFactor:
    """The user's authenticator app, set up and confirmed (as if they had scanned the QR)."""
    factor = SecondFactor(user_id=user.id, secret=secret, confirmed_at=now_utc())
    db.session.add(factor)
    db.session.flush()
    return factor


def region(slug: str = "tarakan") -> Region:
    return db.session.scalar(select(Region).where(Region.slug == slug))


def category(slug: str = "camilan") -> Category:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def make_seller(
    *, region_slug: str = "tarakan", user: User | None = None, shop_name: str | None = None
) -> Seller:
    n = next(_sequence)
    seller = Seller(
        slug=f"toko-uji-{n}",
        shop_name=shop_name or f"Toko Uji {n}",
        owner_name="Ibu Uji",
        story="Cerita toko uji.",
        region=region(region_slug),
        village="Kelurahan Uji",
        whatsapp="+6281234500000",
        user=user or make_user(roles=[Role.SELLER]),
    )
    db.session.add(seller)
    db.session.flush()
    return seller


def make_product(
    *,
    seller: Seller | None = None,
    name: str | None = None,
    price: int = 25000,
    category_slug: str = "anyaman",
    stock: int = 10,
    status: ProductStatus = ProductStatus.PUBLISHED,
    licence_valid_until: dt.date | None = None,
    description: str = "",
    photo_key: str = "0" * 64,
) -> Product:
    n = next(_sequence)
    cat = category(category_slug)
    product = Product(
        slug=f"produk-uji-{n}",
        seller=seller or make_seller(),
        category=cat,
        name=name or f"Produk Uji {n}",
        description=description,
        price_amount=price,
        stock=stock,
        unit="buah",
        weight_grams=250,
        kind=cat.kind,
        status=status.value,
        published_at=now_utc() if status == ProductStatus.PUBLISHED else None,
    )
    if cat.kind == "food":
        product.pirt_number = "2026571019999-30"
        product.licence_valid_until = licence_valid_until or dt.date(2030, 12, 31)
    product.photos.append(
        ProductPhoto(key=photo_key, width=400, height=400, variant_widths="320,400")
    )
    db.session.add(product)
    db.session.flush()
    refresh_search_text(product)
    db.session.flush()
    return product


def photo_bytes(width: int = 800, height: int = 600, colour=(180, 120, 60), fmt="JPEG") -> bytes:
    """A real photo file, as a phone would send it."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, fmt)
    return buffer.getvalue()


def form_token() -> str:
    """A token as the page of a form that makes a record hands out (``forms.SentOnce``)."""
    return f"token-{next(_sequence)}"


def address_form(label: str = "Rumah", street: str = "Jl. Yos Sudarso No. 5") -> dict:
    """The address book's form (``/akun/alamat``) as a buyer in Tarakan fills it in."""
    return {
        "label": label,
        "name": "Rina Pembeli",
        "whatsapp": "0812 3456 7890",
        "province": "65",
        "city": "65.71",
        "district": "65.71.01",
        "postal_code": "77111",
        "street": street,
        "idempotency_token": form_token(),
    }


def listing_form(**overrides) -> dict:
    """A valid create/edit form for a craft product; override any field."""
    form = {
        "name": "Tas Anyaman Rotan Kecil",
        "category_id": str(category("anyaman").id),
        "price": "150.000",
        "unit": "buah",
        "sale_mode": "stock",
        "stock": "5",
        "daily_capacity": "",
        "lead_time_days": "",
        "weight_grams": "400",
        "description": "Dianyam tangan oleh ibu-ibu Malinau.",
        "pirt_number": "",
        "bpom_number": "",
        "halal_number": "",
        "shelf_life_days": "",
        "idempotency_token": form_token(),
    }
    form.update(overrides)
    return form


def food_form(**overrides) -> dict:
    form = listing_form(
        name="Amplang Tenggiri 250 g",
        category_id=str(category("camilan").id),
        price="35rb",
        unit="bungkus 250 g",
        pirt_number="P-IRT No. 2026571010123-29",
        halal_number="ID65711000012345",
        shelf_life_days="90",
    )
    form.update(overrides)
    return form


def _code_of(text: str, parent: str) -> str:
    """A region's Kemendagri code from its name inside ``parent`` ("Tarakan" in "65" is
    "65.71"); a code, an empty value or a name not in the list stays as it is."""
    from marketplace.catalog import places

    wanted = " ".join(text.lower().replace(".", " ").split())
    for prefix in ("kabupaten ", "kab ", "kota ", "provinsi ", "dki ", "di "):
        wanted = wanted.removeprefix(prefix)
    for place in places.children(parent) if wanted else ():
        name = place.name.lower()
        if name == wanted or name.endswith(" " + wanted):
            return place.code
    return text


def checkout_details(**overrides):
    """Contact and a Tarakan address that pass the checkout's checks. Regions may be given
    by name, as a person reads them ("Kalimantan Timur", "Samarinda"): they become the
    codes the form sends; a city given without a kecamatan gets its first one."""
    from marketplace.catalog import places
    from marketplace.orders.checkout import CheckoutDetails

    values = {
        "name": "Rina Pembeli",
        "email": "rina@contoh.id",
        "whatsapp": "0812 3456 7890",
        "delivery": "ship",
        "province": "Kalimantan Utara",
        "city": "Tarakan",
        "district": "Tarakan Barat",
        "street": "Jl. Yos Sudarso No. 5",
        "postal_code": "77111",
    }
    if "city" in overrides and "district" not in overrides:
        values["district"] = values["postal_code"] = ""
    values.update(overrides)
    values["province"] = _code_of(values["province"], "")
    values["city"] = _code_of(values["city"], values["province"])
    values["district"] = _code_of(values["district"], values["city"])
    if not values["district"] and "district" not in overrides:
        inside = places.children(values["city"])
        values["district"] = inside[0].code if inside else ""
    if not values["postal_code"] and "postal_code" not in overrides:
        values["postal_code"] = (places.postal_codes(values["district"]) or ("",))[0]
    return CheckoutDetails(**values)


def make_options(product: Product, *options: tuple[str, int, int]):
    """Give ``product`` options ``(label, price, stock)`` (300 g each) through the
    household's own service; returns them in order."""
    from marketplace.sellers.variants import OptionRow, save_options

    save_options(
        product,
        [
            OptionRow(label=label, price=str(price), stock=str(stock), weight="300")
            for label, price, stock in options
        ],
    )
    return list(product.options)


def make_order(*lines, user=None, key=None, referral=None, voucher_code=None, **details):
    """An order awaiting payment for ``(product, quantity)`` pairs (or ``(option, quantity)``
    for a product's option), placed through the service (``referral``: the household share
    reference the buyer came through)."""
    from marketplace.catalog.options import ProductVariant
    from marketplace.orders.cart import add_to_cart
    from marketplace.orders.checkout import place_order

    cart: dict = {}
    user_id = user.id if user else None
    for item, quantity in lines:
        if isinstance(item, ProductVariant):
            add_to_cart(
                item.product_id, quantity, user_id=user_id, session_cart=cart, variant_id=item.id
            )
        else:
            add_to_cart(item.id, quantity, user_id=user_id, session_cart=cart)
    return place_order(
        checkout_details(**details),
        checkout_key=key or f"key-{next(_sequence)}",
        user_id=user_id,
        session_cart=cart,
        referral=referral,
        voucher_code=voucher_code,
    )


def make_paid_order(*lines, gateway=None, **details):
    """An order paid through the test gateway (the suite's, unless one is given)."""
    from flask import current_app

    from marketplace.money.payments import open_payment, record_intent

    gateway = gateway or current_app.extensions["payment_gateway"]
    order = make_order(*lines, **details)
    payment = open_payment(order.id, gateway)
    record_intent(
        gateway.complete(payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True)
    )
    db.session.flush()
    return order


def make_status_change(product: Product, from_status: str, to_status: str, at: dt.datetime):
    """A recorded status move at a given moment (the report reads the history)."""
    from marketplace.catalog.models import ProductStatusChange

    change = ProductStatusChange(
        product_id=product.id, from_status=from_status, to_status=to_status, created_at=at
    )
    db.session.add(change)
    db.session.flush()
    return change


def make_capital_assistance(seller: Seller, *, given_on: dt.date, value_amount: int = 3_500_000):
    from marketplace.pkk.models import CapitalAssistance

    record = CapitalAssistance(
        seller_id=seller.id,
        giver="Disperindagkop UMKM Provinsi Kaltara",
        given_on=given_on,
        description="Mesin jahit",
        value_amount=value_amount,
    )
    db.session.add(record)
    db.session.flush()
    return record


def make_training(sellers: list[Seller], *, held_on: dt.date, topic: str = "Kemasan dan label"):
    from marketplace.pkk.models import TrainingSession

    session = TrainingSession(
        held_on=held_on, topic=topic, place="Aula PKK Tanjung Selor", attendees=list(sellers)
    )
    db.session.add(session)
    db.session.flush()
    return session


def make_packaging_help(product: Product, *, given_on: dt.date, description: str = "Label baru"):
    from marketplace.pkk.models import PackagingHelp

    record = PackagingHelp(
        product_id=product.id,
        seller_id=product.seller_id,
        given_on=given_on,
        description=description,
    )
    db.session.add(record)
    db.session.flush()
    return record


def make_official_gift(product: Product | None = None, position: int = 1):
    from marketplace.pkk.models import OfficialGift

    entry = OfficialGift(product_id=(product or make_product()).id, position=position)
    db.session.add(entry)
    db.session.flush()
    return entry


def scope_reviewer(user: User, region_slug: str | None):
    """Limit a reviewer to one kabupaten (None: the whole province)."""
    from marketplace.pkk.services import set_reviewer_scope

    return set_reviewer_scope(user.id, region(region_slug).id if region_slug else None)


# -- institutions ---------------------------------------------------------------------------


def make_institution(name: str | None = None):
    from marketplace.institutions.members import create_institution

    n = next(_sequence)
    return create_institution(
        name=name or f"Instansi Uji {n}",
        unit=f"Biro Umum Uji {n}",
        address="Jl. Uji No. 1, Tanjung Selor",
        npwp="01.234.567.8-727.000",
        treasurer_name="Bendahara Uji",
    )


def make_officer(institution=None, *, can_approve: bool = False) -> User:
    """A user who is an officer of ``institution`` (a new one when not given)."""
    from marketplace.institutions.members import add_member

    institution = institution or make_institution()
    user = make_user(roles=[Role.OFFICER])
    add_member(institution.id, user.email, can_approve=can_approve)
    return user


def make_box_order(products, *, boxes: int = 10, days: int = 30, card: str = "Selamat datang"):
    from marketplace.catalog.services import today_local
    from marketplace.institutions.boxes import BoxLine, BoxOrder

    return BoxOrder(
        event_name="Kunjungan Kerja Delegasi",
        budget_code="5.1.02.01.01.0026",
        box_count=boxes,
        delivery_date=today_local() + dt.timedelta(days=days),
        delivery_time="09.00 WITA",
        delivery_place="Hotel Luminor, Tanjung Selor",
        card_text=card,
        lines=[BoxLine(p.id, 1) for p in products],
    )


def make_quote(officer: User | None = None, products=None, **order):
    """A draft quote of ``officer`` (a new one) for boxes of ``products`` (two new ones)."""
    from marketplace.institutions.quotes import create_quote

    officer = officer or make_officer()
    if products is None:
        products = [make_product(stock=500, price=35000), make_product(stock=500, price=150000)]
    return create_quote(officer, make_box_order(products, **order))


def make_application(user: User | None = None, shop_name: str = "Toko Uji"):
    """A shop application waiting for a reviewer (its photo is a placeholder key)."""
    from marketplace.sellers.models import SellerApplication

    application = SellerApplication(
        user_id=(user or make_user()).id,
        shop_name=shop_name,
        owner_name="Ibu Uji",
        region_id=region().id,
        village="Uji",
        whatsapp="+6281234500001",
        key="0" * 64,
        width=400,
        height=400,
        variant_widths="320,400",
    )
    db.session.add(application)
    db.session.flush()
    return application


def make_payout_account(
    seller: Seller,
    *,
    method: str = "bank",
    verified: bool = True,
    account_number: str = "0123456789",
    stripe_account_id: str = "",
):
    """A household's payout account (BCA by default), checked by an admin unless told."""
    from marketplace.money.models import PayoutAccount

    account = PayoutAccount(
        seller_id=seller.id,
        method=method,
        bank_code="014" if method == "bank" else "",
        account_number=account_number if method == "bank" else "",
        holder_name=seller.owner_name if method == "bank" else "",
        wallet_provider="dana" if method == "ewallet" else "",
        wallet_number="+6281234567890" if method == "ewallet" else "",
        stripe_account_id=stripe_account_id,
        stripe_payouts_enabled=method == "stripe",
        verified_at=now_utc() if verified else None,
    )
    db.session.add(account)
    db.session.flush()
    return account


def make_earning_seller(price: int = 100_000, *, seller: Seller | None = None) -> Seller:
    """A household with one paid and delivered part: its share is available."""
    from marketplace.orders.inbox import move_part_for_seller

    seller = seller or make_seller()
    order = make_paid_order((make_product(seller=seller, price=price, stock=100), 1))
    part = order.parts[0]
    actor = seller.user_id
    move_part_for_seller(part.id, seller.id, "accept", actor_id=actor)
    move_part_for_seller(
        part.id, seller.id, "ship", actor_id=actor, courier="JNE", tracking_number="JNE1"
    )
    move_part_for_seller(part.id, seller.id, "delivered", actor_id=actor)
    db.session.flush()
    return seller


def deliver(part, *, pickup: bool = False) -> None:
    """Move a paid part through its household's steps to delivered."""
    from marketplace.orders.inbox import move_part_for_seller

    steps = ["accept", "ready" if pickup else "ship", "delivered"]
    for step in steps:
        move_part_for_seller(
            part.id,
            part.seller_id,
            step,
            actor_id=part.seller.user_id,
            courier="JNE",
            tracking_number="JNE0001",
        )


def make_delivered_order(*lines, **details):
    """A paid order whose every part has been delivered."""
    order = make_paid_order(*lines, **details)
    for part in order.parts:
        deliver(part)
    return order


def make_review(product=None, *, rating: int = 5, body: str = "Renyah dan gurih.", **details):
    """A buyer's review of a delivered product (a new one unless given)."""
    from marketplace.reviews.services import write_review

    product = product or make_product(stock=5)
    order = make_delivered_order((product, 1), **details)
    line = order.parts[0].lines[0]
    return write_review(order, line.id, rating=rating, body=body, buyer_id=order.buyer_id)


def make_gov_order(officer: User | None = None, products=None, **order):
    """A protocol office's order: a quote of ``officer`` submitted and approved by its head.

    Returns (order, quote, officer, head).
    """
    from marketplace.institutions.models import InstitutionMember
    from marketplace.institutions.orders import order_of_quote
    from marketplace.institutions.quotes import approve_quote, submit_quote

    officer = officer or make_officer()
    member = db.session.scalar(
        select(InstitutionMember).where(InstitutionMember.user_id == officer.id)
    )
    head = make_officer(member.institution, can_approve=True)
    quote = make_quote(officer, products, **order)
    submit_quote(quote.id, officer)
    approve_quote(quote.id, head)
    return order_of_quote(quote.id), quote, officer, head


def deliver_gov_order(order, *, officer=None, short: dict[int, int] | None = None) -> None:
    """Every live part of a government order confirmed, made, packed and delivered.

    With ``officer``, the officer also counts what arrived (``short``: line id → missing).
    """
    from marketplace.institutions import orders as gov
    from marketplace.orders.models import PartStatus

    short = short or {}
    for part in list(order.parts):
        if part.status == PartStatus.CANCELLED.value:
            continue
        owner = part.seller.user
        gov.confirm_part(part.id, part.seller_id, owner)
        for step in ("produced", "packed", "delivered"):
            gov.mark_progress(part.id, part.seller_id, owner, step)
        if officer is not None:
            counts = {line.id: line.quantity - short.get(line.id, 0) for line in part.lines}
            gov.confirm_receipt(order.id, part.id, officer, counts)


def make_invoiced_gov_order(**kwargs):
    """A government order delivered in full, its BAST signed and invoice issued.

    Returns (order, quote, officer, invoice).
    """
    from marketplace.institutions import billing

    order, quote, officer, _head = make_gov_order(**kwargs)
    deliver_gov_order(order, officer=officer)
    return order, quote, officer, billing.issue_handover(order.id, officer)


def make_complaint(price: int = 100_000, *, message: str = "Kemasan penyok, isinya hancur."):
    """A buyer's complaint about a shipped part (its money is held for an admin)."""
    from marketplace.money.availability import report_problem
    from marketplace.orders.inbox import move_part_for_seller

    seller = make_seller()
    order = make_paid_order((make_product(seller=seller, price=price, stock=100), 1))
    part = order.parts[0]
    move_part_for_seller(part.id, seller.id, "accept", actor_id=seller.user_id)
    move_part_for_seller(
        part.id, seller.id, "ship", actor_id=seller.user_id, courier="JNE", tracking_number="J1"
    )
    return report_problem(order.id, part.id, message, None)


def make_failed_mail(to: str = "gagal@contoh.id", subject: str = "Pesanan baru"):
    """An outgoing mail that used up its attempts (the admin's "Surel gagal terkirim")."""
    from marketplace.mail import OutgoingMail
    from marketplace.outbox import FAILED, MAX_ATTEMPTS

    mail = OutgoingMail(
        to=to,
        subject=subject,
        body="Ada pesanan baru untuk toko Anda.",
        status=FAILED,
        attempts=MAX_ATTEMPTS,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    db.session.add(mail)
    db.session.flush()
    return mail
