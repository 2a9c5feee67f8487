"""``flask demo load``: regions, categories, 12 households, about 40 products.

Idempotent: every row is found by its natural key first, so a second run
changes nothing. Demo accounts exist only through this command.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from functools import cache

import click
from flask import current_app
from flask.cli import AppGroup
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import grant_role, normalise_phone, register_user
from marketplace.catalog.models import (
    Category,
    Product,
    ProductPhoto,
    ProductStatus,
    Region,
    Seller,
)
from marketplace.catalog.photos import process_photo
from marketplace.catalog.services import refresh_search_text
from marketplace.db import db, now_utc
from marketplace.demo_data import (
    CATEGORIES,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    PRODUCTS,
    REGIONS,
    SELLERS,
)
from marketplace.institutions.members import load_demo_institution
from marketplace.storage import get_storage

demo_cli = AppGroup("demo", help="Demo data for trying the marketplace.")

PHOTO_SIZE = 1280


@cache
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_packaging(name: str, shop: str, colour: tuple[int, int, int], size: int) -> bytes:
    """A packaging photo drawn with Pillow: a coloured package with the product's name."""
    scale = size / 1280
    background = tuple(min(255, c + 150) for c in colour)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    box = [int(v * scale) for v in (260, 160, 1020, 1160)]
    draw.rounded_rectangle(box, radius=int(60 * scale), fill=colour)
    band = [int(v * scale) for v in (300, 430, 980, 860)]
    draw.rounded_rectangle(band, radius=int(30 * scale), fill=(250, 246, 236))
    lines = textwrap.wrap(name, width=14)[:4]
    y = int((640 - 42 * len(lines)) * scale)
    for line in lines:
        draw.text((size // 2, y), line, fill=(40, 30, 20), font=_font(int(72 * scale)), anchor="mt")
        y += int(88 * scale)
    draw.text(
        (size // 2, int(800 * scale)), shop, fill=colour, font=_font(int(36 * scale)), anchor="mb"
    )
    draw.text(
        (size // 2, int(1100 * scale)),
        "Oleh-oleh Kaltara",
        fill=(250, 246, 236),
        font=_font(int(40 * scale)),
        anchor="mb",
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pirt_number(
    packaging: str, food_kind: str, region_code: str, serial: int, producer: int, year: int
) -> str:
    """A P-IRT number in the printed form: 15 digits, the last two after a dash."""
    return f"{packaging}{food_kind}{region_code}{serial:02d}{producer:04d}-{year % 100:02d}"


def _ensure_user(email: str, name: str, phone: str, role: Role) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = register_user(
            name=name, email=email, phone=phone, password=DEMO_PASSWORD, welcome=False
        )
    grant_role(user, role)
    return user


def load_demo(photo_size: int = PHOTO_SIZE) -> dict[str, int]:
    """Create whatever of the demo data is missing; returns how many rows were added."""
    added = {"regions": 0, "categories": 0, "sellers": 0, "products": 0, "users": 0}
    users_before = db.session.scalar(select(func.count(User.id)))

    regions = {r.slug: r for r in db.session.scalars(select(Region))}
    for slug, name, kind, capital, code in REGIONS:
        if slug not in regions:
            regions[slug] = Region(slug=slug, name=name, kind=kind, capital=capital, code=code)
            db.session.add(regions[slug])
            added["regions"] += 1

    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    colours = {}
    for position, (slug, name, name_en, kind, colour) in enumerate(CATEGORIES):
        colours[slug] = colour
        if slug not in categories:
            categories[slug] = Category(
                slug=slug, name=name, name_en=name_en, kind=kind, position=position
            )
            db.session.add(categories[slug])
            added["categories"] += 1

    accounts = {
        email: _ensure_user(email, name, phone, Role(role))
        for email, name, phone, role in DEMO_ACCOUNTS
    }
    sellers = {s.slug: s for s in db.session.scalars(select(Seller))}
    for number, (slug, shop, owner, region, village, wa, since, story) in enumerate(SELLERS, 1):
        if slug in sellers:
            continue
        # The first household belongs to the demo seller account; the others get their own.
        if number == 1:
            user = accounts["penjual@demo.id"]
        else:
            user = _ensure_user(f"{slug}@demo.id", owner, wa, Role.SELLER)
        sellers[slug] = Seller(
            slug=slug,
            shop_name=shop,
            owner_name=owner,
            story=story,
            region=regions[region],
            village=village,
            whatsapp=normalise_phone(wa),
            nib=f"91200{number:03d}4567{number:02d}"[:13],
            user=user,
            since_year=since,
        )
        db.session.add(sellers[slug])
        added["sellers"] += 1
    db.session.flush()

    existing = set(db.session.scalars(select(Product.slug)))
    storage = get_storage()
    widths = current_app.config["PHOTO_WIDTHS"]
    base_time = now_utc() - dt.timedelta(days=60)
    serials: dict[str, int] = {}
    producers = {row[0]: number for number, row in enumerate(SELLERS, 101)}
    for index, row in enumerate(PRODUCTS):
        (
            seller_slug,
            category_slug,
            name,
            price,
            unit,
            weight,
            stock,
            to_order,
            lead,
            shelf_life,
            packaging,
            food_kind,
            description,
        ) = row
        slug = _slugify(name)
        seller = sellers[seller_slug]
        serials[seller_slug] = serials.get(seller_slug, 0) + 1
        if slug in existing:
            continue
        category = categories[category_slug]
        product = Product(
            slug=slug,
            seller=seller,
            category=category,
            name=name,
            description=description,
            price_amount=price,
            stock=stock,
            is_made_to_order=to_order,
            weight_grams=weight,
            unit=unit,
            kind=category.kind,
            shelf_life_days=shelf_life,
            lead_time_days=lead,
            status=ProductStatus.PUBLISHED.value,
            published_at=base_time + dt.timedelta(hours=index * 29),
        )
        if category.kind == "food":
            year = 2029 + index % 3
            product.pirt_number = pirt_number(
                packaging,
                food_kind,
                seller.region.code,
                serials[seller_slug],
                producers[seller_slug],
                year,
            )
            product.licence_valid_until = dt.date(year, 12, 31)
            product.halal_number = f"ID{seller.region.code}1000{index + 1:05d}{year - 5:04d}"
        photo = process_photo(
            draw_packaging(name, seller.shop_name, colours[category_slug], photo_size),
            storage,
            widths,
        )
        product.photos.append(
            ProductPhoto(
                key=photo.key,
                width=photo.width,
                height=photo.height,
                variant_widths=",".join(map(str, photo.widths)),
            )
        )
        refresh_search_text(product)
        db.session.add(product)
        added["products"] += 1
    db.session.flush()
    added["institutions"] = load_demo_institution(DEMO_PASSWORD)
    added["users"] = db.session.scalar(select(func.count(User.id))) - users_before
    return added


def _slugify(name: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when products already exist.")
def load_command(if_empty: bool) -> None:
    """Load the demo catalogue and the demo accounts (password: demo-pass-2026)."""
    if if_empty and db.session.scalar(select(func.count(Product.id))):
        click.echo("Products exist already; demo data not loaded.")
        return
    added = load_demo(photo_size=current_app.config.get("DEMO_PHOTO_SIZE", PHOTO_SIZE))
    db.session.commit()
    click.echo("Added: " + ", ".join(f"{count} {what}" for what, count in added.items()))
