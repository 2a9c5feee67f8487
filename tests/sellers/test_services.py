"""The listing rules, without a request."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import PRODUCT_MOVES, PhotoUpload, ProductStatus
from marketplace.catalog.services import StatusError, change_product_status
from marketplace.db import db, now_utc
from marketplace.errors import Forbidden
from marketplace.rupiah import parse_rupiah
from marketplace.sellers import services
from marketplace.sellers.licence_numbers import parse_bpom_number, parse_pirt_number
from marketplace.sellers.services import ListingError, ListingInput
from tests import factories

KALTARA = {"6501", "6502", "6503", "6504", "6571"}


@pytest.mark.parametrize(
    ("typed", "printed", "year"),
    [
        ("2026571010123-29", "2026571010123-29", 2029),
        ("P-IRT No. 2026571010123-29", "2026571010123-29", 2029),
        ("pirt 3 09 6503 01 0101 31", "3096503010101-31", 2031),
        ("202650101012330", "2026501010123-30", 2030),
    ],
)
def test_pirt_numbers_as_people_write_them(typed, printed, year):
    licence = parse_pirt_number(typed, KALTARA)
    assert licence.number == printed
    assert licence.valid_until == dt.date(year, 12, 31)


@pytest.mark.parametrize(
    "typed", ["2026571010123", "8026571010123-29", "2029999010123-29", "2026571010123-20", "x"]
)
def test_bad_pirt_numbers_are_refused_for_the_pirt_field(typed):
    with pytest.raises(ListingError) as error:
        parse_pirt_number(typed, KALTARA)
    assert error.value.field == "pirt_number"


@pytest.mark.parametrize(
    "typed",
    [
        "BPOM RI MD 123456789012",
        "bpom ri md 123456789012",
        "MD 1234 5678 9012",
        "md123456789012",
        "Badan POM RI MD: 123.456.789.012",
        "BPOM MD-123-456-789-012",
        "  BPOM  RI  MD  123456789012  ",
    ],
)
def test_bpom_md_numbers_as_people_write_them(typed):
    assert parse_bpom_number(typed) == "BPOM RI MD 123456789012"


@pytest.mark.parametrize(
    "typed",
    [
        "BPOM RI MD 12345678901",
        "BPOM RI MD 1234567890123",
        "BPOM RI ML 123456789012",
        "123456789012",
        "BPOM RI MD",
        "MD 12345678901a",
        "P-IRT No. 2026571010123-29",
    ],
)
def test_bad_bpom_md_numbers_are_refused_for_the_bpom_field(typed):
    with pytest.raises(ListingError) as error:
        parse_bpom_number(typed)
    assert error.value.field == "bpom_number"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("35rb", 35000), ("35 ribu", 35000), ("Rp 1.250.000", 1250000), ("15k", 15000)],
)
def test_prices_in_thousands(typed, amount):
    assert parse_rupiah(typed) == amount


@pytest.mark.parametrize("typed", ["35.000,50", "-35000", "35,5rb", "rb", "Rp", "1e6"])
def test_prices_that_are_not_whole_rupiah(typed):
    with pytest.raises(ValueError):
        parse_rupiah(typed)


def _values(**overrides) -> ListingInput:
    values = ListingInput(
        name="Manik-manik Dayak",
        category_id=factories.category("kerajinan").id,
        price_amount=250000,
        stock=3,
        weight_grams=100,
        unit="untai",
    )
    for key, value in overrides.items():
        setattr(values, key, value)
    return values


def test_create_is_idempotent_per_token():
    seller = factories.make_seller()
    first, created = services.create_product(seller.id, _values(), token="t-1", upload_ids=[])
    again, created_again = services.create_product(
        seller.id, _values(name="Lain"), token="t-1", upload_ids=[]
    )
    assert created and not created_again and again.id == first.id and again.name == first.name


def test_another_sellers_token_is_not_theirs_to_find():
    mine = factories.make_seller()
    services.create_product(mine.id, _values(), token="t-2", upload_ids=[])
    other = factories.make_seller()
    with pytest.raises(ListingError):
        services.create_product(other.id, _values(), token="t-2", upload_ids=[])


def test_craft_drops_food_fields_and_food_needs_them():
    seller = factories.make_seller()
    product, _ = services.create_product(
        seller.id, _values(pirt_number="2026571010123-29"), token="t-3", upload_ids=[]
    )
    assert product.kind == "craft" and product.pirt_number is None
    with pytest.raises(ListingError) as error:
        services.update_product(
            product,
            _values(category_id=factories.category("madu-kopi").id),
            upload_ids=[],
            actor=seller.user,
        )
    assert error.value.field == "pirt_number"


@pytest.mark.parametrize(
    ("start", "to", "role"),
    [
        (ProductStatus.DRAFT, ProductStatus.PUBLISHED, Role.SELLER),
        (ProductStatus.CHANGES_REQUESTED, ProductStatus.PUBLISHED, Role.SELLER),
        (ProductStatus.DRAFT, ProductStatus.PAUSED, Role.SELLER),
        (ProductStatus.PUBLISHED, ProductStatus.DRAFT, Role.SELLER),
        (ProductStatus.CHANGES_REQUESTED, ProductStatus.PAUSED, Role.REVIEWER),
    ],
)
def test_moves_outside_the_table_are_refused(start, to, role):
    product = factories.make_product(status=start)
    with pytest.raises(StatusError):
        change_product_status(product, to, factories.make_user(roles=[role]))
    assert product.status == start.value


def test_only_a_reviewer_approves():
    product = factories.make_product(status=ProductStatus.PENDING_REVIEW)
    seller = product.seller.user
    with pytest.raises(Forbidden):
        change_product_status(product, ProductStatus.PUBLISHED, seller)
    assert product.status == "pending_review"


def test_every_move_in_the_table_is_recorded_with_who_and_when():
    reviewer = factories.make_user(roles=[Role.REVIEWER, Role.SELLER])
    for (start, to), _role in PRODUCT_MOVES.items():
        product = factories.make_product(status=start)
        change = change_product_status(product, to, reviewer, note="catatan")
        assert (change.from_status, change.to_status) == (start.value, to.value)
        assert change.actor_id == reviewer.id and change.created_at is not None
        assert product.status == to.value and product.latest_note == "catatan"


def test_approval_is_bound_to_the_photos_not_their_order():
    product = factories.make_product(status=ProductStatus.PENDING_REVIEW)
    product.photos.append(
        factories.ProductPhoto(key="b" * 64, width=400, height=400, variant_widths="400")
    )
    db.session.flush()
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    change_product_status(product, ProductStatus.PUBLISHED, reviewer)
    seller = product.seller.user
    services.make_cover(product, product.photos[1].id, seller)
    services.pause_product(product, seller)
    services.move_photo(product, product.photos[0].id, 1, seller)
    assert product.status == "paused"
    services.remove_photo(product, product.photos[0].id, seller)
    assert product.status == "pending_review"


def test_old_unused_uploads_are_pruned(app):
    seller = factories.make_seller()
    old = PhotoUpload(seller_id=seller.id, key="d" * 64, width=1, height=1, variant_widths="1")
    old.created_at = now_utc() - dt.timedelta(days=3)
    fresh = PhotoUpload(seller_id=seller.id, key="e" * 64, width=1, height=1, variant_widths="1")
    db.session.add_all([old, fresh])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sellers", "prune-uploads"])
    assert result.exit_code == 0 and "Removed 1" in result.output
    remaining = db.session.scalars(select(PhotoUpload.key)).all()
    assert "e" * 64 in remaining and "d" * 64 not in remaining


@pytest.mark.parametrize("hours", ["0", "23", "-100000000", "99999999999"])
def test_uploads_of_a_form_still_being_finished_are_never_pruned(app, hours):
    """``--hours 0`` forgot the photos of a form that had just come back with an error (and
    a value past the calendar was a traceback): an upload is kept a day at the least."""
    seller = factories.make_seller()
    fresh = PhotoUpload(seller_id=seller.id, key="f" * 64, width=1, height=1, variant_widths="1")
    fresh.created_at = now_utc() - dt.timedelta(hours=2)
    db.session.add(fresh)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sellers", "prune-uploads", "--hours", hours])
    assert result.exit_code == 2
    assert "is not in the range 24<=x<=87840" in result.output
    assert db.session.scalars(select(PhotoUpload.key)).all() == ["f" * 64]
    with pytest.raises(ValueError):
        services.prune_uploads(int(hours))
