"""Applications to open a household shop: applying with a photo, and a reviewer's decision."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import AccountError, grant_role, normalise_phone
from marketplace.catalog.models import (
    Region,
    Seller,
)
from marketplace.catalog.photos import accept_photo, queue_variants
from marketplace.catalog.search import fold
from marketplace.db import db, now_utc
from marketplace.errors import NotFound
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


def apply_for_shop(
    user_id: int,
    values: ApplicationInput,
    photo: bytes,
    storage: LocalStorage,
    widths: tuple[int, ...],
) -> SellerApplication:
    """File an application to open a household shop; one open application at a time."""
    if get_seller_of_user(user_id) is not None:
        raise ListingError(_l("Anda sudah punya toko."))
    latest = latest_application(user_id)
    if latest is not None and latest.status == ApplicationStatus.PENDING.value:
        raise ListingError(_l("Pengajuan Anda masih ditinjau."))
    if not values.region_id or db.session.get(Region, values.region_id) is None:
        raise ListingError(_l("Pilih kabupaten/kota."), field="region_id")
    for name in ("shop_name", "owner_name", "village"):
        if not getattr(values, name).strip():
            raise ListingError(_l("Wajib diisi."), field=name)
    try:
        whatsapp = normalise_phone(values.whatsapp)
    except AccountError as error:
        raise ListingError(error.message, field="whatsapp") from None
    nib = re.sub(r"\D", "", values.nib or "") or None
    if values.nib and values.nib.strip() and (nib is None or len(nib) != 13):
        raise ListingError(_l("NIB terdiri dari 13 angka."), field="nib")
    if not photo:
        raise ListingError(_l("Tambahkan satu foto usaha atau produk Anda."), field="photo")
    stored = accept_photo(photo, storage, widths)
    application = SellerApplication(
        user_id=user_id,
        shop_name=values.shop_name.strip(),
        owner_name=values.owner_name.strip(),
        region_id=values.region_id,
        village=values.village.strip(),
        whatsapp=whatsapp,
        nib=nib,
        story=values.story.strip(),
        key=stored.key,
        width=stored.width,
        height=stored.height,
        variant_widths=",".join(map(str, stored.widths)),
        status=ApplicationStatus.PENDING.value,
    )
    db.session.add(application)
    queue_variants(stored.key)
    db.session.flush()
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
    return seller


def reject_application(application: SellerApplication, actor: User, reason: str) -> None:
    """Turn the application down with a reason the applicant reads."""
    if not reason.strip():
        raise ListingError(_l("Tulis alasan penolakan untuk pemohon."), field="note")
    _decide(application, ApplicationStatus.REJECTED, actor, reason)
    db.session.flush()
