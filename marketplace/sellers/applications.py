"""Applications to open a household shop: applying with a photo, and a reviewer's decision."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import AccountError, grant_role, normalise_phone
from marketplace.catalog.models import (
    Region,
    Seller,
)
from marketplace.catalog.photos import StoredPhoto, accept_photo, queue_variants
from marketplace.catalog.search import fold
from marketplace.db import db, now_utc, update_if
from marketplace.errors import NotFound, Refusals
from marketplace.once import added_once
from marketplace.sellers.messages import tell_applicant
from marketplace.sellers.models import (
    APPLICATION_MOVES,
    ApplicationStatus,
    SellerApplication,
    SellerApplicationChange,
)
from marketplace.sellers.services import (
    ListingError,
    get_seller_of_user,
)
from marketplace.storage import LocalStorage


@dataclass
class ApplicationInput:
    """What an applicant typed to open a shop."""

    shop_name: str
    owner_name: str
    region_id: int | None
    village: str
    whatsapp: str
    nib: str | None = None
    story: str = ""


def latest_application(user_id: int) -> SellerApplication | None:
    return db.session.scalar(
        select(SellerApplication)
        .where(SellerApplication.user_id == user_id)
        .options(selectinload(SellerApplication.changes), joinedload(SellerApplication.region))
        .order_by(SellerApplication.id.desc())
        .limit(1)
    )


PHOTO_NOTE_SALT = "shop-application-photo"


def receive_photo(data: bytes, storage: LocalStorage, widths: tuple[int, ...]) -> StoredPhoto:
    """Clean and store an applicant's photo as soon as it arrives (PhotoError if it is not
    one), before the rest of the form is checked."""
    return accept_photo(data, storage, widths)


def photo_note(photo: StoredPhoto) -> str:
    """A signed note of a photo already received, for the form to carry: a form that comes
    back with an error keeps the photo, and a slow phone never sends it twice."""
    return _photo_notes().dumps([photo.key, photo.width, photo.height, list(photo.widths)])


def photo_from_note(note: str | None) -> StoredPhoto | None:
    """The photo a note names, or None for no note or one this site did not sign."""
    if not note:
        return None
    try:
        key, width, height, widths = _photo_notes().loads(note)
        return StoredPhoto(str(key), int(width), int(height), tuple(int(w) for w in widths))
    except (BadSignature, TypeError, ValueError):
        return None


def _photo_notes() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=PHOTO_NOTE_SALT)


def check_application(user_id: int, values: ApplicationInput, photo: StoredPhoto | None) -> str:
    """Every rule of an application to open a shop, each problem named at once; the
    WhatsApp number written the one way. Writes nothing."""
    if get_seller_of_user(user_id) is not None:
        raise ListingError(_l("Anda sudah punya toko."))
    latest = latest_application(user_id)
    if latest is not None and latest.status == ApplicationStatus.PENDING.value:
        raise ListingError(_l("Pengajuan Anda masih ditinjau."))
    problems = Refusals()
    if not values.region_id or db.session.get(Region, values.region_id) is None:
        problems.add(ListingError(_l("Pilih kabupaten/kota."), field="region_id"))
    for name in ("shop_name", "owner_name", "village"):
        if not getattr(values, name).strip():
            problems.add(ListingError(_l("Wajib diisi."), field=name))
    whatsapp = ""
    try:
        whatsapp = normalise_phone(values.whatsapp)
    except AccountError as error:
        problems.add(ListingError(error.message, field="whatsapp"))
    if values.nib and values.nib.strip() and len(_nib_digits(values.nib)) != 13:
        problems.add(ListingError(_l("NIB terdiri dari 13 angka."), field="nib"))
    if photo is None:
        problems.add(ListingError(_l("Tambahkan satu foto usaha atau produk Anda."), field="photo"))
    problems.raise_any()
    return whatsapp


def _nib_digits(nib: str | None) -> str:
    return re.sub(r"\D", "", nib or "")


def apply_for_shop(
    user_id: int, values: ApplicationInput, photo: StoredPhoto | None
) -> SellerApplication:
    """File an application to open a household shop; one open application at a time, the
    database's rule too: of two sent at once (a double tap), the second is refused.

    ``photo`` is one ``receive_photo`` kept; without it the application is refused."""
    whatsapp = check_application(user_id, values, photo)
    nib = _nib_digits(values.nib) or None
    application = SellerApplication(
        user_id=user_id,
        shop_name=values.shop_name.strip(),
        owner_name=values.owner_name.strip(),
        region_id=values.region_id,
        village=values.village.strip(),
        whatsapp=whatsapp,
        nib=nib,
        story=values.story.strip(),
        key=photo.key,
        width=photo.width,
        height=photo.height,
        variant_widths=",".join(map(str, photo.widths)),
        status=ApplicationStatus.PENDING.value,
    )
    if not added_once(application):
        raise ListingError(_l("Pengajuan Anda masih ditinjau."))
    queue_variants(photo.key)
    return application


def pending_applications() -> list[SellerApplication]:
    """Applications waiting for a decision, the longest-waiting first."""
    return list(
        db.session.scalars(
            select(SellerApplication)
            .where(SellerApplication.status == ApplicationStatus.PENDING.value)
            .options(joinedload(SellerApplication.region), joinedload(SellerApplication.user))
            .order_by(SellerApplication.created_at, SellerApplication.id)
        )
    )


def get_application(application_id: int) -> SellerApplication:
    application = db.session.scalar(
        select(SellerApplication)
        .where(SellerApplication.id == application_id)
        .options(
            joinedload(SellerApplication.region),
            joinedload(SellerApplication.user),
            selectinload(SellerApplication.changes).joinedload(SellerApplicationChange.actor),
        )
    )
    if application is None:
        raise NotFound("no such application")
    return application


def _decide(application: SellerApplication, to: ApplicationStatus, actor: User, note: str) -> None:
    move = (ApplicationStatus(application.status), to)
    if move not in APPLICATION_MOVES:
        raise ListingError(_l("Pengajuan ini sudah diputuskan."))
    if application.user_id == actor.id:
        raise ListingError(_l("Anda tidak dapat memutuskan pengajuan Anda sendiri."))
    # Two reviewers (or a double tap) read the same status: only the first moves it.
    status = SellerApplication.status == application.status
    if not update_if(SellerApplication, application.id, status, status=to.value):
        raise ListingError(_l("Pengajuan ini sudah diputuskan."))
    db.session.add(
        SellerApplicationChange(
            application=application,
            from_status=application.status,
            to_status=to.value,
            actor_id=actor.id,
            note=note.strip(),
        )
    )
    application.status = to.value
    application.decided_at = now_utc()


def _shop_slug(name: str) -> str:
    base = "-".join(re.findall(r"[0-9a-z]+", fold(name)))[:70] or "toko"
    slug = base
    while db.session.scalar(select(Seller.id).where(Seller.slug == slug)):
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


def approve_application(application: SellerApplication, actor: User, note: str = "") -> Seller:
    """Open the shop: the applicant gets the seller role and a Seller row."""
    _decide(application, ApplicationStatus.APPROVED, actor, note)
    user = application.user
    if get_seller_of_user(user.id) is not None:
        raise ListingError(_l("Pengguna ini sudah punya toko."))
    seller = Seller(
        slug=_shop_slug(application.shop_name),
        shop_name=application.shop_name,
        owner_name=application.owner_name,
        story=application.story,
        region_id=application.region_id,
        village=application.village,
        whatsapp=application.whatsapp,
        nib=application.nib,
        user_id=user.id,
        since_year=now_utc().year,
    )
    db.session.add(seller)
    grant_role(user, Role.SELLER, granted_by=actor)
    db.session.flush()
    application.seller_id = seller.id
    db.session.flush()
    tell_applicant(application, approved=True, note=note)
    return seller


def reject_application(application: SellerApplication, actor: User, reason: str) -> None:
    """Turn the application down with a reason the applicant reads."""
    if not reason.strip():
        raise ListingError(_l("Tulis alasan penolakan untuk pemohon."), field="note")
    _decide(application, ApplicationStatus.REJECTED, actor, reason)
    db.session.flush()
    tell_applicant(application, approved=False, note=reason)
