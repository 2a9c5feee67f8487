"""Listing management for a household: products, their photos and their status.

Every function flushes and never commits: the request commits once.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field, replace
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.accounts.models import User
from marketplace.catalog.halal import halal_certificate_number
from marketplace.catalog.models import (
    Category,
    PhotoUpload,
    Product,
    ProductKind,
    ProductPhoto,
    ProductStatus,
    ProductStatusChange,
    Region,
    Seller,
)
from marketplace.catalog.options import copy_options
from marketplace.catalog.photos import PhotoError, accept_photo, queue_variants
from marketplace.catalog.search import fold
from marketplace.catalog.services import change_product_status, refresh_search_text
from marketplace.db import db, now_utc
from marketplace.errors import NotFound, Refusals
from marketplace.inventory.stock import set_option_stock, set_stock
from marketplace.locales import N_, stored_messages
from marketplace.sellers.licence_numbers import ListingError, parse_bpom_number, parse_pirt_number
from marketplace.storage import LocalStorage

#: why an approved product goes back to the PKK, stored in Indonesian whoever's edit it
#: was and shown in the reader's language (``locales.shown``)
PHOTOS_CHANGED = N_("Foto kemasan berubah setelah disetujui.")
NUMBERS_CHANGED = N_("Nomor izin edar atau sertifikat halal berubah setelah disetujui.")
stored_messages(PHOTOS_CHANGED, NUMBERS_CHANGED)

MAX_PHOTOS = 8
MAX_PRICE = 100_000_000
MAX_STOCK = 100_000
MAX_LEAD_TIME_DAYS = 90
MAX_SHELF_LIFE_DAYS = 3650
MAX_WEIGHT_GRAMS = 50_000


@dataclass
class ListingInput:
    """What a seller typed for a product, already parsed into Python values."""

    name: str
    category_id: int | None
    price_amount: int | None
    is_made_to_order: bool = False
    stock: int | None = None
    daily_capacity: int | None = None
    lead_time_days: int | None = None
    weight_grams: int | None = None
    unit: str = ""
    description: str = ""
    pirt_number: str | None = None
    bpom_number: str | None = None
    halal_number: str | None = None
    shelf_life_days: int | None = None


@dataclass
class UploadResult:
    uploads: list[PhotoUpload] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def get_seller_of_user(user_id: int) -> Seller | None:
    return db.session.scalar(
        select(Seller).where(Seller.user_id == user_id).options(joinedload(Seller.region))
    )


def get_product_of_user(user_id: int, product_id: int) -> Product | None:
    """A product of the shop of this person, with its shop (one statement for both), or
    None: another shop's product does not exist here."""
    return db.session.scalar(
        _product_of_user_statement(), {"product_id": product_id, "user_id": user_id}
    )


@cache
def _product_of_user_statement():
    """``get_product_of_user``'s statement, built once (building it cost about as much as
    running it)."""
    return (
        select(Product)
        .join(Product.seller)
        .where(Product.id == bindparam("product_id"), Seller.user_id == bindparam("user_id"))
        .options(
            contains_eager(Product.seller).joinedload(Seller.region),
            joinedload(Product.category),
            selectinload(Product.photos),
            selectinload(Product.status_changes).selectinload(ProductStatusChange.photo_comments),
        )
    )


def list_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def categories_for_listing() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def store_uploads(
    seller_id: int,
    files: list[tuple[str, bytes]],
    storage: LocalStorage,
    widths: tuple[int, ...],
    already: int = 0,
) -> UploadResult:
    """Run each uploaded file through the photo pipeline and keep the good ones.

    A bad file is refused with its reason; the others are stored, so nothing the
    seller sent over a slow connection has to be sent again.
    """
    result = UploadResult()
    if already + len(files) > MAX_PHOTOS:
        result.problems.append(
            str(_l("Paling banyak %(n)s foto per produk.", n=MAX_PHOTOS)),
        )
        return result
    for filename, data in files:
        try:
            stored = accept_photo(data, storage, widths)
        except PhotoError as error:
            result.problems.append(f"{filename}: {error.message}")
            continue
        upload = PhotoUpload(
            seller_id=seller_id,
            key=stored.key,
            width=stored.width,
            height=stored.height,
            variant_widths=",".join(map(str, stored.widths)),
        )
        db.session.add(upload)
        result.uploads.append(upload)
        queue_variants(stored.key)
    db.session.flush()
    return result


def kept_uploads(seller_id: int, upload_ids: list[int]) -> list[PhotoUpload]:
    """The seller's own uploads among ``upload_ids``, in the order given; others are ignored."""
    if not upload_ids:
        return []
    rows = db.session.scalars(
        select(PhotoUpload).where(
            PhotoUpload.id.in_(upload_ids), PhotoUpload.seller_id == seller_id
        )
    )
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in dict.fromkeys(upload_ids) if i in by_id]


def check_listing(values: ListingInput) -> Category:
    """Apply the listing rules, every one, so the seller learns of every problem at once;
    returns the category (which decides food or craft)."""
    problems = Refusals()

    def refuse(message, field: str) -> None:
        problems.add(ListingError(message, field=field))

    category = db.session.get(Category, values.category_id) if values.category_id else None
    if category is None:
        refuse(_l("Pilih kategori."), "category_id")
    if not values.name.strip():
        refuse(_l("Isi nama produk."), "name")
    price = values.price_amount
    if price is None or price <= 0:
        refuse(_l("Harga harus lebih dari Rp0."), "price")
    elif price > MAX_PRICE:
        refuse(_l("Harga paling tinggi Rp100.000.000."), "price")
    if values.is_made_to_order:
        if not values.daily_capacity or values.daily_capacity < 1:
            refuse(
                _l("Untuk produk pesanan, isi berapa yang bisa dibuat sehari."), "daily_capacity"
            )
        lead = values.lead_time_days
        if lead is None or not 1 <= lead <= MAX_LEAD_TIME_DAYS:
            refuse(_l("Lama pembuatan antara 1 dan 90 hari."), "lead_time_days")
    elif values.stock is None or not 0 <= values.stock <= MAX_STOCK:
        refuse(_l("Isi stok (0 sampai 100.000)."), "stock")
    if not values.weight_grams or not 1 <= values.weight_grams <= MAX_WEIGHT_GRAMS:
        refuse(_l("Berat kirim antara 1 dan 50.000 gram."), "weight_grams")
    if not values.unit.strip():
        refuse(_l("Isi satuan jual, misalnya: bungkus 250 g."), "unit")
    if category is not None and category.kind == ProductKind.FOOD.value:
        has_pirt = bool((values.pirt_number or "").strip())
        has_bpom = bool((values.bpom_number or "").strip())
        if not has_pirt and not has_bpom:
            refuse(_l("Produk makanan wajib punya nomor P-IRT atau nomor BPOM MD."), "pirt_number")
        if has_pirt and has_bpom:
            refuse(_l("Isi salah satu saja: nomor P-IRT atau nomor BPOM MD."), "bpom_number")
        halal = (values.halal_number or "").strip()
        if halal and halal_certificate_number(halal) is None:
            message = _l(
                "Tulis nomor sertifikat halal dari BPJPH: huruf ID lalu angka, contoh "
                "ID65710000012340126 (sertifikat lama MUI: 14 angka). Sertifikat lewat "
                "pernyataan mandiri (self declare) juga bernomor ID. Kosongkan bila "
                "belum bersertifikat."
            )
            refuse(message, "halal_number")
        shelf = values.shelf_life_days
        if shelf is None or not 1 <= shelf <= MAX_SHELF_LIFE_DAYS:
            refuse(_l("Isi daya tahan makanan dalam hari (1 sampai 3650)."), "shelf_life_days")
    problems.raise_any()
    return category  # not None: refused above


def _apply(product: Product, values: ListingInput, category: Category) -> None:
    """Copy the checked values onto the product. Status is never among them."""
    product.name = values.name.strip()
    product.category = category
    product.kind = category.kind
    product.price_amount = values.price_amount or 0
    product.is_made_to_order = values.is_made_to_order
    if values.is_made_to_order:
        set_stock(product, 0)
        product.daily_capacity = values.daily_capacity
        product.lead_time_days = values.lead_time_days or 0
    else:
        set_stock(product, values.stock or 0)
        product.daily_capacity = None
        product.lead_time_days = 0
    product.weight_grams = values.weight_grams or 0
    product.unit = values.unit.strip()
    product.description = values.description.strip()
    if category.kind == ProductKind.FOOD.value:
        if (values.bpom_number or "").strip():
            product.bpom_number = parse_bpom_number(values.bpom_number or "")
            product.pirt_number = None
            product.licence_valid_until = None
        else:
            codes = set(db.session.scalars(select(Region.code)))
            licence = parse_pirt_number(values.pirt_number or "", codes)
            product.pirt_number = licence.number
            product.licence_valid_until = licence.valid_until
            product.bpom_number = None
        product.halal_number = halal_certificate_number(values.halal_number)
        product.shelf_life_days = values.shelf_life_days
    else:
        product.pirt_number = None
        product.bpom_number = None
        product.licence_valid_until = None
        product.halal_number = None
        product.shelf_life_days = None


def _new_slug(name: str) -> str:
    base = "-".join(re.findall(r"[0-9a-z]+", fold(name)))[:100] or "produk"
    while True:
        slug = f"{base}-{secrets.token_hex(3)}"
        if not db.session.scalar(select(Product.id).where(Product.slug == slug)):
            return slug


def _attach(product: Product, uploads: list[PhotoUpload]) -> None:
    start = len(product.photos)
    for offset, upload in enumerate(uploads):
        product.photos.append(_photo_at(upload, start + offset))
    _discard(uploads)


def _photo_at(stored: PhotoUpload | ProductPhoto, position: int) -> ProductPhoto:
    """A product's photo of an image already in storage (a new upload, or another
    product's photo when a product is copied)."""
    return ProductPhoto(
        key=stored.key,
        width=stored.width,
        height=stored.height,
        variant_widths=stored.variant_widths,
        position=position,
    )


def _discard(uploads: list[PhotoUpload]) -> None:
    if uploads:
        db.session.execute(
            delete(PhotoUpload).where(PhotoUpload.id.in_([u.id for u in uploads])),
            execution_options={"synchronize_session": False},
        )
        for upload in uploads:
            db.session.expunge(upload)


def find_product_by_token(token: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.idempotency_token == token))


def create_product(
    seller_id: int, values: ListingInput, *, token: str, upload_ids: list[int]
) -> tuple[Product, bool]:
    """Create a draft product with its photos; returns (product, created).

    The token comes from the form: the same form sent twice (a retry after the
    connection dropped) finds the first product and creates nothing.
    """
    if not token or len(token) > 64:
        raise ListingError(_l("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
    uploads = kept_uploads(seller_id, upload_ids)
    existing = find_product_by_token(token)
    if existing is not None:
        if existing.seller_id != seller_id:
            raise ListingError(_l("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
        _discard(uploads)
        return existing, False
    category = check_listing(values)
    product = Product(
        seller_id=seller_id,
        slug=_new_slug(values.name),
        idempotency_token=token,
        status=ProductStatus.DRAFT.value,
    )
    _apply(product, values, category)
    try:
        # Two submits racing past the look-up above meet the unique index here.
        with db.session.begin_nested():
            db.session.add(product)
            db.session.flush()
    except IntegrityError:
        existing = find_product_by_token(token)
        if existing is None or existing.seller_id != seller_id:
            raise
        return existing, False
    _attach(product, uploads)
    refresh_search_text(product)
    db.session.flush()
    return product, True


def _licence_numbers(product: Product) -> tuple[str | None, ...]:
    """What the PKK checked against the label besides the photos: P-IRT, BPOM, halal."""
    return (product.pirt_number, product.bpom_number, product.halal_number)


def _recheck_packaging(
    product: Product, actor: User, approved_numbers: tuple[str | None, ...] | None = None
) -> bool:
    """Send a public (or paused) product back to review when its photos or its licence
    and halal numbers are not the approved ones.

    An approval is bound to the photos' content hashes: adding, replacing or removing a
    photo after approval needs a new one. Reordering needs none. A new P-IRT, BPOM or
    halal number is a claim on the label the PKK has not seen, so it needs one too.
    """
    if product.status not in (ProductStatus.PUBLISHED.value, ProductStatus.PAUSED.value):
        return False
    approved = product.approved_photo_keys()
    current = {photo.key for photo in product.photos}
    photos_changed = approved is None or set(filter(None, approved.split(","))) != current
    numbers_changed = approved_numbers is not None and _licence_numbers(product) != approved_numbers
    if not photos_changed and not numbers_changed:
        return False
    change_product_status(
        product,
        ProductStatus.PENDING_REVIEW,
        actor,
        note=PHOTOS_CHANGED if photos_changed else NUMBERS_CHANGED,
    )
    product.submitted_at = now_utc()
    db.session.flush()
    return True


def listing_of(product: Product | None, values: ListingInput) -> ListingInput:
    """The listing form for ``product``: with options, the price and stock are theirs."""
    if product is None or not product.options:
        return values
    return replace(values, price_amount=product.price_amount, stock=product.stock)


def update_product(
    product: Product, values: ListingInput, upload_ids: list[int], actor: User
) -> bool:
    """Change a product's details and add the photos uploaded with the form.

    Returns True when new photos, or a new licence or halal number, sent an approved
    product back to review.
    """
    values = listing_of(product, values)
    category = check_listing(values)
    uploads = kept_uploads(product.seller_id, upload_ids)
    if len(product.photos) + len(uploads) > MAX_PHOTOS:
        raise ListingError(_l("Paling banyak %(n)s foto per produk.", n=MAX_PHOTOS), "photos")
    numbers = _licence_numbers(product)
    _apply(product, values, category)
    _attach(product, uploads)
    refresh_search_text(product)
    db.session.flush()
    return _recheck_packaging(product, actor, numbers)


def _photo(product: Product, photo_id: int) -> ProductPhoto:
    for photo in product.photos:
        if photo.id == photo_id:
            return photo
    raise NotFound("no such photo")


def _renumber(product: Product, ordered: list[ProductPhoto]) -> None:
    for position, photo in enumerate(ordered):
        photo.position = position
    product.photos.sort(key=lambda p: p.position)
    db.session.flush()


def make_cover(product: Product, photo_id: int, actor: User) -> None:
    """Put a photo first: the first photo is the cover buyers see."""
    photo = _photo(product, photo_id)
    _renumber(product, [photo, *(p for p in product.photos if p is not photo)])


def move_photo(product: Product, photo_id: int, step: int, actor: User) -> None:
    """Move a photo one place earlier (``step=-1``) or later (``step=1``)."""
    photo = _photo(product, photo_id)
    ordered = list(product.photos)
    index = ordered.index(photo)
    target = min(max(index + step, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    _renumber(product, ordered)


def remove_photo(product: Product, photo_id: int, actor: User) -> None:
    """Delete a photo; an approved product goes back to review without it."""
    photo = _photo(product, photo_id)
    product.photos.remove(photo)
    _renumber(product, list(product.photos))
    _recheck_packaging(product, actor)


def submit_for_review(product: Product, actor: User) -> None:
    """Send the product (its packaging photos and licence) to the PKK queue."""
    if not product.photos:
        raise ListingError(_l("Tambahkan minimal satu foto kemasan sebelum mengajukan."))
    if product.is_food and not product.has_food_licence:
        raise ListingError(_l("Produk makanan wajib punya nomor P-IRT atau nomor BPOM MD."))
    change_product_status(product, ProductStatus.PENDING_REVIEW, actor)
    product.submitted_at = now_utc()
    db.session.flush()


def pause_product(product: Product, actor: User) -> None:
    change_product_status(product, ProductStatus.PAUSED, actor)


def resume_product(product: Product, actor: User) -> None:
    if product.status != ProductStatus.PAUSED.value:
        raise ListingError(_l("Hanya produk yang dijeda yang bisa dilanjutkan."))
    change_product_status(product, ProductStatus.PUBLISHED, actor)


def mark_out_of_stock(product: Product, actor: User) -> None:
    """Stock to zero: the product stays listed and shows "Stok habis"."""
    if product.is_made_to_order:
        raise ListingError(_l("Produk pesanan tidak punya stok; jeda saja bila sedang penuh."))
    set_option_stock(product, dict.fromkeys(product.options, 0))  # its options' too
    set_stock(product, 0)
    db.session.flush()


def duplicate_product(product: Product, actor: User) -> Product:
    """A new draft with the same details and photos, to list a similar product quickly."""
    copy = Product(
        seller=product.seller,
        slug=_new_slug(product.name),
        category=product.category,
        name=str(_l("%(name)s (salinan)", name=product.name))[:120],
        description=product.description,
        price_amount=product.price_amount,
        stock=product.stock,
        is_made_to_order=product.is_made_to_order,
        daily_capacity=product.daily_capacity,
        lead_time_days=product.lead_time_days,
        weight_grams=product.weight_grams,
        unit=product.unit,
        kind=product.kind,
        pirt_number=product.pirt_number,
        bpom_number=product.bpom_number,
        licence_valid_until=product.licence_valid_until,
        halal_number=product.halal_number,
        shelf_life_days=product.shelf_life_days,
        status=ProductStatus.DRAFT.value,
    )
    db.session.add(copy)
    for photo in product.photos:
        copy.photos.append(_photo_at(photo, photo.position))
    copy_options(product, copy)  # its stock is their sum, their photos the copied photos
    refresh_search_text(copy)
    db.session.flush()
    return copy


#: the ages (hours) past which an upload no form came back for may be forgotten: a day at
#: the least, as a form that came back with an error may be finished later that day with
#: the photos already sent over a slow connection; ten years at the most (before any)
UPLOAD_KEPT_HOURS = range(24, 24 * 3660 + 1)


def prune_uploads(hours: int = 48) -> int:
    """Delete upload rows older than ``hours`` (in ``UPLOAD_KEPT_HOURS``) that no form came
    back for.

    The stored files stay: keys are content hashes that a product may share.
    """
    if hours not in UPLOAD_KEPT_HOURS:
        raise ValueError(f"uploads are kept {UPLOAD_KEPT_HOURS.start} hours at least, not {hours}")
    cutoff = now_utc() - dt.timedelta(hours=hours)
    result = db.session.execute(
        delete(PhotoUpload).where(PhotoUpload.created_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return result.rowcount or 0
