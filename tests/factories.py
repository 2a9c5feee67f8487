"""Factories: the one place tests make rows. Each returns a flushed object."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from marketplace.accounts.models import Role, RoleGrant, User
from marketplace.accounts.passwords import hash_password
from marketplace.catalog.models import Category, Product, ProductPhoto, ProductStatus, Region
from marketplace.catalog.services import refresh_search_text
from marketplace.db import db, now_utc
from marketplace.sellers.models import Seller

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
    return user


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


# -- institutions ---------------------------------------------------------------------------


def make_institution(name: str | None = None):
    from marketplace.institutions.services import create_institution

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
    from marketplace.institutions.services import add_member

    institution = institution or make_institution()
    user = make_user(roles=[Role.OFFICER])
    add_member(institution.id, user.email, can_approve=can_approve)
    return user


def make_box_order(products, *, boxes: int = 10, days: int = 30, card: str = "Selamat datang"):
    from marketplace.catalog.services import today_local
    from marketplace.institutions.services import BoxLine, BoxOrder

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
    from marketplace.institutions.services import create_quote

    officer = officer or make_officer()
    if products is None:
        products = [make_product(stock=500, price=35000), make_product(stock=500, price=150000)]
    return create_quote(officer, make_box_order(products, **order))
