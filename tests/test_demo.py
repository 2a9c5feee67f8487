"""The demo catalogue: what it holds, and that loading it twice changes nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import verify_password
from marketplace.catalog.models import Product, Region, Seller
from marketplace.db import db
from marketplace.demo import load_demo
from marketplace.demo_data import DEMO_PASSWORD
from marketplace.storage import get_storage

PIRT = re.compile(r"^[1-6]\d{2}(6501|6502|6503|6504|6571)\d{6}-\d{2}$")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_has_the_five_regions_twelve_households_forty_products():
    assert count(Region) == 5 and count(Seller) == 12 and count(Product) == 40
    regions_with_sellers = db.session.scalar(select(func.count(func.distinct(Seller.region_id))))
    assert regions_with_sellers == 5


def test_every_demo_product_has_a_photo_and_food_has_a_licence():
    storage = get_storage()
    for product in db.session.scalars(select(Product)):
        assert product.photos, product.name
        assert storage.exists(product.cover.variant_key(product.cover.widths[0]))
        assert product.price_amount % 1000 == 0 and product.price_amount >= 15000
        if product.is_food:
            assert PIRT.match(product.pirt_number), product.pirt_number
            # Digits 4-7 name the household's regency; 14-15 the year the licence ends.
            assert product.pirt_number[3:7] == product.seller.region.code
            assert product.licence_valid_until.year % 100 == int(product.pirt_number[-2:])
        else:
            assert product.pirt_number is None and product.shelf_life_days is None


def test_demo_accounts_one_per_role():
    expected = {
        "pembeli@demo.id": Role.BUYER,
        "penjual@demo.id": Role.SELLER,
        "pkk@demo.id": Role.REVIEWER,
        "protokol@demo.id": Role.OFFICER,
        "admin@demo.id": Role.ADMIN,
    }
    for email, role in expected.items():
        user = db.session.scalar(select(User).where(User.email == email))
        assert role in user.roles
        assert verify_password(user.password_hash, DEMO_PASSWORD)


def test_loading_twice_changes_nothing(app):
    before = {model.__name__: count(model) for model in (Region, Seller, Product, User)}
    added = load_demo(photo_size=app.config["DEMO_PHOTO_SIZE"])
    assert set(added.values()) == {0}
    assert {model.__name__: count(model) for model in (Region, Seller, Product, User)} == before


def test_cli_load_if_empty_leaves_a_filled_database_alone(app):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
