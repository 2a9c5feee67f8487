"""Packaging review, assistance records and the official gifts collection.

Functions flush and never commit: the request commits once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.catalog import services as catalog
from marketplace.catalog.models import (
    Category,
    PhotoComment,
    Product,
    ProductStatus,
    ProductStatusChange,
    Region,
    Seller,
)
from marketplace.catalog.services import (
    CoverPhoto,
    change_product_status,
    photos_of,
    public_cards,
)
from marketplace.catalogmemo import kept, locale_key
from marketplace.db import db, local_date
from marketplace.errors import MarketplaceError, NotFound
from marketplace.once import added_once, create_once
from marketplace.paging import Page, paginate
from marketplace.pkk.messages import tell_household_of_review
from marketplace.pkk.models import (
    CapitalAssistance,
    OfficialGift,
    PackagingHelp,
    ReviewerScope,
    TrainingSession,
    training_attendances,
)


class ReviewError(MarketplaceError):
    pass


#: products on one page of the PKK's review queue
QUEUE_PER_PAGE = 30


class QueueProduct(NamedTuple):
    """One product of the review queue as the list shows it: plain values (a tuple: the
    page's rows unpack it)."""

    id: int
    name: str
    shop_name: str
    region_name: str
    category_id: int
    #: the day (WITA) it was submitted for review
    submitted_on: dt.date | None
    cover: CoverPhoto | None
    photo_count: int


@cache
def _queue_statements(by_region: bool, by_category: bool):
    """The queue's page, for each choice of filters, built once."""
    page = (
        select(
            Product.id,
            Product.name,
            Seller.shop_name,
            Region.name,
            Product.category_id,
            Product.submitted_at,
        )
        .join(Product.seller)
        .join(Seller.region)
        .where(Product.status == ProductStatus.PENDING_REVIEW.value)
        .order_by(Product.submitted_at.asc(), Product.id.asc())
    )
    if by_region:
        page = page.where(Region.slug == bindparam("region"))
    if by_category:
        page = page.join(Product.category).where(Category.slug == bindparam("category"))
    return page


def review_queue(
    region_slug: str | None = None, category_slug: str | None = None, page: int = 1
) -> Page[QueueProduct]:
    """One page of the products waiting for review, the longest-waiting first: the columns
    the list shows, then the page's photos (two statements, rows rather than objects)."""
    page_stmt = _queue_statements(bool(region_slug), bool(category_slug))
    products = paginate(
        page_stmt,
        page,
        QUEUE_PER_PAGE,
        rows=True,
        params={"region": region_slug, "category": category_slug},
    )
    photos = photos_of([row[0] for row in products.items])
    products.items = [
        QueueProduct(
            id=product_id,
            name=name,
            shop_name=shop_name,
            region_name=region_name,
            category_id=category_id,
            submitted_on=local_date(submitted_at) if submitted_at is not None else None,
            cover=photos[product_id][0] if product_id in photos else None,
            photo_count=len(photos.get(product_id, ())),
        )
        for product_id, name, shop_name, region_name, category_id, submitted_at in products.items
    ]
    return products


class FilterChoice(NamedTuple):
    """A region or a category in the queue's filters: its slug and its name (in the
    visitor's language for a category); a tuple, the page's options unpack it."""

    id: int
    slug: str
    name: str


def queue_filters() -> tuple[tuple[FilterChoice, ...], tuple[FilterChoice, ...]]:
    """The regions and the categories to filter the queue by, kept per catalogue version
    and language (names only: counting their products would read every product)."""
    return kept(("pkk_queue_filters", locale_key()), _queue_filters)


def _queue_filters() -> tuple[tuple[FilterChoice, ...], tuple[FilterChoice, ...]]:
    return (
        tuple(FilterChoice(r.id, r.slug, r.name) for r in catalog.all_regions()),
        tuple(FilterChoice(c.id, c.slug, c.label) for c in catalog.all_categories()),
    )


def get_submission(product_id: int) -> Product:
    """A product with everything a reviewer looks at: photos, licence, shop, history."""
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(
            joinedload(Product.seller).joinedload(Seller.region),
            joinedload(Product.category),
            selectinload(Product.photos),
            selectinload(Product.status_changes).joinedload(ProductStatusChange.actor),
            selectinload(Product.status_changes).selectinload(ProductStatusChange.photo_comments),
        )
    )
    if product is None:
        raise NotFound("no such product")
    return product


def _check_reviewer(product: Product, reviewer: User) -> None:
    if product.status != ProductStatus.PENDING_REVIEW.value:
        raise ReviewError(_l("Produk ini tidak sedang menunggu tinjauan."))
    if product.seller.user_id == reviewer.id:
        raise ReviewError(_l("Anda tidak dapat meninjau produk toko Anda sendiri."))


def approve_product(
    product: Product, reviewer: User, note: str = "", seen_photo_keys: str | None = None
) -> None:
    """The packaging is fine: the product goes public.

    ``seen_photo_keys`` are the photos on the reviewer's page: when the seller added or
    removed one since, the approval is refused, so it never covers a photo nobody saw.
    """
    _check_reviewer(product, reviewer)
    if seen_photo_keys is not None and _keys(seen_photo_keys) != _keys(product.photo_keys):
        raise ReviewError(
            _l("Foto kemasan berubah sejak halaman ini dibuka. Periksa foto terbaru di bawah.")
        )
    change = change_product_status(product, ProductStatus.PUBLISHED, reviewer, note)
    db.session.flush()
    tell_household_of_review(product, change.id, approved=True, note=note, photo_notes=[])


def _keys(photo_keys: str) -> set[str]:
    """Which photos, in any order: reordering the same photos needs no second look."""
    return set(filter(None, photo_keys.split(",")))


#: longest comment on one photo
MAX_PHOTO_NOTE = 500


def request_changes(
    product: Product, reviewer: User, note: str, photo_notes: dict[str, str] | None = None
) -> None:
    """Send the product back to the seller with what to fix, overall and per photo.

    ``photo_notes`` maps a photo's content hash to the comment on it; comments on photos
    the product no longer has (the seller changed them meanwhile) are refused.
    """
    _check_reviewer(product, reviewer)
    comments = {key: text.strip() for key, text in (photo_notes or {}).items() if text.strip()}
    if not note.strip() and not comments:
        raise ReviewError(
            _l("Tulis apa yang perlu diperbaiki, misalnya: label belum memuat nomor P-IRT."),
            field="note",
        )
    if set(comments) - _keys(product.photo_keys):
        raise ReviewError(
            _l("Foto kemasan berubah sejak halaman ini dibuka. Periksa foto terbaru di bawah.")
        )
    if any(len(text) > MAX_PHOTO_NOTE for text in comments.values()):
        raise ReviewError(
            _l("Catatan untuk satu foto paling panjang %(n)s huruf.", n=MAX_PHOTO_NOTE)
        )
    change = change_product_status(product, ProductStatus.CHANGES_REQUESTED, reviewer, note)
    order = [photo.key for photo in product.photos]
    for key in sorted(comments, key=order.index):
        change.photo_comments.append(PhotoComment(photo_key=key, note=comments[key]))
    db.session.flush()
    notes = [comments[key] for key in sorted(comments, key=order.index)]
    tell_household_of_review(product, change.id, approved=False, note=note, photo_notes=notes)


# Assistance records: training, packaging help, capital assistance.

#: Rp10 miliar: far above any household grant; a bigger figure is a typing mistake.
MAX_ASSISTANCE_AMOUNT = 10_000_000_000
EARLIEST_RECORD = dt.date(2000, 1, 1)


class AssistanceError(MarketplaceError):
    pass


@dataclass
class AssistanceRecords:
    """The help recorded for one household, or for a kabupaten, newest first."""

    trainings: list[TrainingSession] = field(default_factory=list)
    packaging: list[PackagingHelp] = field(default_factory=list)
    capital: list[CapitalAssistance] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.trainings or self.packaging or self.capital)

    @property
    def capital_total_amount(self) -> int:
        return sum(record.value_amount for record in self.capital)


def region_scope_of(user_id: int) -> int | None:
    """The kabupaten a reviewer works for, or None for the whole province."""
    return db.session.scalar(
        select(ReviewerScope.region_id).where(ReviewerScope.user_id == user_id)
    )


def set_reviewer_scope(user_id: int, region_id: int | None) -> ReviewerScope:
    """Limit a reviewer to one kabupaten, or (None) give them the whole province."""
    scope = db.session.scalar(select(ReviewerScope).where(ReviewerScope.user_id == user_id))
    if scope is None:
        scope = ReviewerScope(user_id=user_id)
        db.session.add(scope)
    scope.region_id = region_id
    db.session.flush()
    return scope


def households_for_recording(region_id: int | None) -> list[Seller]:
    """The households a reviewer may record help for: theirs, or the whole province's."""
    stmt = (
        select(Seller)
        .join(Seller.region)
        .options(contains_eager(Seller.region))
        .order_by(Region.name, Seller.shop_name)
    )
    if region_id is not None:
        stmt = stmt.where(Seller.region_id == region_id)
    return list(db.session.scalars(stmt))


def products_for_recording(region_id: int | None) -> list[Product]:
    """Products a reviewer may record packaging help for, by household."""
    stmt = (
        select(Product)
        .join(Product.seller)
        .options(contains_eager(Product.seller))
        .where(Product.status != ProductStatus.ARCHIVED.value)
        .order_by(Seller.shop_name, Product.name)
    )
    if region_id is not None:
        stmt = stmt.where(Seller.region_id == region_id)
    return list(db.session.scalars(stmt))


def _check_date(day: dt.date, today: dt.date, name: str = "given_on") -> None:
    if day > today:
        raise AssistanceError(_l("Tanggal tidak boleh di masa depan."), field=name)
    if day < EARLIEST_RECORD:
        raise AssistanceError(_l("Tanggal terlalu lama; periksa tahunnya."), field=name)


def _check_text(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise AssistanceError(_l("Wajib diisi."), field=name)
    return value


def _sellers_in_scope(seller_ids: list[int], region_id: int | None) -> list[Seller]:
    stmt = select(Seller).where(Seller.id.in_(seller_ids))
    if region_id is not None:
        stmt = stmt.where(Seller.region_id == region_id)
    sellers = list(db.session.scalars(stmt))
    if len(sellers) != len(set(seller_ids)):
        raise AssistanceError(
            _l("Rumah tangga ini tidak ada atau di luar kabupaten Anda."), field="seller_id"
        )
    return sellers


def record_training(
    *,
    held_on: dt.date,
    topic: str,
    place: str,
    seller_ids: list[int],
    recorded_by_id: int,
    region_id: int | None = None,
    notes: str = "",
    today: dt.date,
    token: str | None,
) -> tuple[TrainingSession, bool]:
    """Record a training session and the households who attended it; (it, recorded now).

    The same form sent again (``token``) finds the first record: the report counts it once.
    """
    _check_date(held_on, today, "held_on")
    if not seller_ids:
        raise AssistanceError(_l("Pilih rumah tangga yang hadir."), field="seller_ids")
    try:
        attendees = _sellers_in_scope(seller_ids, region_id)
    except AssistanceError as error:
        raise AssistanceError(error.message, field="seller_ids") from None
    session = TrainingSession(
        held_on=held_on,
        topic=_check_text(topic, "topic"),
        place=_check_text(place, "place"),
        notes=notes.strip(),
        recorded_by_id=recorded_by_id,
        attendees=attendees,
    )
    return create_once(session, token)


def record_packaging_help(
    *,
    product_id: int,
    given_on: dt.date,
    description: str,
    recorded_by_id: int,
    region_id: int | None = None,
    today: dt.date,
    token: str | None,
) -> tuple[PackagingHelp, bool]:
    """Record what the PKK did for one product's packaging; (it, recorded now), once per
    form sent (``token``)."""
    _check_date(given_on, today)
    product = db.session.get(Product, product_id) if product_id else None
    if product is None or (region_id is not None and product.seller.region_id != region_id):
        raise AssistanceError(
            _l("Produk ini tidak ada atau di luar kabupaten Anda."), field="product_id"
        )
    record = PackagingHelp(
        product_id=product.id,
        seller_id=product.seller_id,
        given_on=given_on,
        description=_check_text(description, "description"),
        recorded_by_id=recorded_by_id,
    )
    return create_once(record, token)


def record_capital_assistance(
    *,
    seller_id: int,
    giver: str,
    given_on: dt.date,
    description: str,
    value_amount: int,
    recorded_by_id: int,
    region_id: int | None = None,
    today: dt.date,
    token: str | None,
) -> tuple[CapitalAssistance, bool]:
    """Record capital assistance (money or tools) given to a household; (it, recorded now),
    once per form sent (``token``): its value is summed in the impact report."""
    _check_date(given_on, today)
    if value_amount < 0 or value_amount > MAX_ASSISTANCE_AMOUNT:
        raise AssistanceError(
            _l("Nilai bantuan harus antara Rp0 dan Rp10.000.000.000."), field="value_amount"
        )
    [seller] = _sellers_in_scope([seller_id], region_id)
    record = CapitalAssistance(
        seller_id=seller.id,
        giver=_check_text(giver, "giver"),
        given_on=given_on,
        description=_check_text(description, "description"),
        value_amount=value_amount,
        recorded_by_id=recorded_by_id,
    )
    return create_once(record, token)


def assistance_records(
    *, seller_id: int | None = None, region_id: int | None = None, limit: int = 100
) -> AssistanceRecords:
    """Help recorded for one household, or (for the PKK desk) for a kabupaten or all."""
    trainings = (
        select(TrainingSession)
        .options(selectinload(TrainingSession.attendees).joinedload(Seller.region))
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())
        .limit(limit)
    )
    packaging = (
        select(PackagingHelp)
        .join(PackagingHelp.seller)
        .options(joinedload(PackagingHelp.product), contains_eager(PackagingHelp.seller))
        .order_by(PackagingHelp.given_on.desc(), PackagingHelp.id.desc())
        .limit(limit)
    )
    capital = (
        select(CapitalAssistance)
        .join(CapitalAssistance.seller)
        .options(contains_eager(CapitalAssistance.seller))
        .order_by(CapitalAssistance.given_on.desc(), CapitalAssistance.id.desc())
        .limit(limit)
    )
    attended = select(training_attendances.c.training_session_id).join(
        Seller, Seller.id == training_attendances.c.seller_id
    )
    if seller_id is not None:
        attended = attended.where(Seller.id == seller_id)
        packaging = packaging.where(PackagingHelp.seller_id == seller_id)
        capital = capital.where(CapitalAssistance.seller_id == seller_id)
    if region_id is not None:
        attended = attended.where(Seller.region_id == region_id)
        packaging = packaging.where(Seller.region_id == region_id)
        capital = capital.where(Seller.region_id == region_id)
    if seller_id is not None or region_id is not None:
        trainings = trainings.where(TrainingSession.id.in_(attended))
    return AssistanceRecords(
        trainings=list(db.session.scalars(trainings)),
        packaging=list(db.session.scalars(packaging)),
        capital=list(db.session.scalars(capital)),
    )


# The official gifts collection ("Oleh-oleh resmi").


class CollectionError(MarketplaceError):
    pass


def official_gift_products(limit: int | None = None) -> list[Product]:
    """The collection as the public sees it: in the PKK's order, public products only."""
    stmt = (
        public_cards()
        .join(OfficialGift, OfficialGift.product_id == Product.id)
        .order_by(OfficialGift.position, OfficialGift.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def official_gift_entries() -> list[OfficialGift]:
    """Every entry for the PKK's desk, including products no longer public."""
    stmt = (
        select(OfficialGift)
        .options(
            joinedload(OfficialGift.product).joinedload(Product.seller).joinedload(Seller.region),
            joinedload(OfficialGift.product).selectinload(Product.photos),
        )
        .order_by(OfficialGift.position, OfficialGift.id)
    )
    return list(db.session.scalars(stmt).unique())


def add_official_gift(product_id: int, added_by_id: int) -> OfficialGift:
    """Put a published product at the end of the collection."""
    product = db.session.get(Product, product_id) if product_id else None
    if product is None or product.status != ProductStatus.PUBLISHED.value:
        raise CollectionError(
            _l("Hanya produk yang sudah tampil yang dapat masuk koleksi."), field="product_id"
        )
    last = db.session.scalar(select(func.max(OfficialGift.position)))
    entry = OfficialGift(product_id=product_id, position=(last or 0) + 1, added_by_id=added_by_id)
    # the product's one entry is the table's unique rule: a twin request meets it there
    if not added_once(entry):
        raise CollectionError(_l("Produk ini sudah ada di koleksi."), field="product_id")
    return entry


def _entry(product_id: int) -> OfficialGift:
    entry = db.session.scalar(select(OfficialGift).where(OfficialGift.product_id == product_id))
    if entry is None:
        raise NotFound("not in the collection")
    return entry


def remove_official_gift(product_id: int) -> None:
    """Take a product out of the collection."""
    db.session.delete(_entry(product_id))
    db.session.flush()


def move_official_gift(product_id: int, step: int) -> None:
    """Swap an entry with its neighbour before (step -1) or after (step 1) it."""
    entries = list(
        db.session.scalars(select(OfficialGift).order_by(OfficialGift.position, OfficialGift.id))
    )
    entry = _entry(product_id)
    index = entries.index(entry)
    other = index + step
    if not 0 <= other < len(entries):
        return
    # Renumber densely, then swap: positions may have gaps after removals.
    for position, item in enumerate(entries, start=1):
        item.position = position
    entries[index].position, entries[other].position = other + 1, index + 1
    db.session.flush()


def products_for_collection(exclude: set[int]) -> list[Product]:
    """Published products a reviewer may add to the collection, by household."""
    stmt = (
        select(Product)
        .join(Product.seller)
        .options(contains_eager(Product.seller))
        .where(Product.status == ProductStatus.PUBLISHED.value)
        .order_by(Seller.shop_name, Product.name)
    )
    return [product for product in db.session.scalars(stmt) if product.id not in exclude]


# The impact report's choices.


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def region_by_slug(slug: str) -> Region | None:
    return db.session.scalar(select(Region).where(Region.slug == slug))
