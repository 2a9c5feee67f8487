"""Protocol offices and their members: who may build, submit and approve gift-box quotes."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import grant_role, register_user
from marketplace.accounts.twofactor import may_also_use
from marketplace.catalog.models import Product, ProductKind
from marketplace.db import db, read_rows
from marketplace.errors import MarketplaceError, NotFound
from marketplace.institutions.models import (
    Institution,
    InstitutionMember,
)
from marketplace.once import added_once


class InstitutionError(MarketplaceError):
    pass


@may_also_use
def approves_quotes(user: User) -> bool:
    """The head of an office approves quotes: they may turn on a second factor."""
    return (
        db.session.scalar(
            select(InstitutionMember.id)
            .where(InstitutionMember.user_id == user.id, InstitutionMember.can_approve.is_(True))
            .limit(1)
        )
        is not None
    )


def create_institution(
    *, name: str, unit: str, address: str, npwp: str, treasurer_name: str
) -> Institution:
    """Record a government institution's protocol office."""
    name = name.strip()
    if db.session.scalar(select(Institution.id).where(Institution.name == name)):
        raise InstitutionError(_l("Instansi dengan nama ini sudah ada."), field="name")
    institution = Institution(
        name=name,
        unit=unit.strip(),
        address=address.strip(),
        npwp=npwp.strip(),
        treasurer_name=treasurer_name.strip(),
    )
    # the name is unique: the same office sent twice at once meets the first's row there
    if not added_once(institution):
        raise InstitutionError(_l("Instansi dengan nama ini sudah ada."), field="name")
    return institution


def add_member(
    institution_id: int, email: str, *, can_approve: bool = False, added_by: User | None = None
) -> InstitutionMember:
    """Make an existing user an officer of an institution (or change their approval right)."""
    institution = db.session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(_l("Instansi tidak ditemukan."))
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise InstitutionError(
            _l("Belum ada akun dengan e-mail ini. Minta orangnya mendaftar dulu."), field="email"
        )
    member = db.session.scalar(
        select(InstitutionMember).where(InstitutionMember.user_id == user.id)
    )
    if member is not None and member.institution_id != institution_id:
        raise InstitutionError(
            _l("Pengguna ini sudah menjadi anggota instansi lain."), field="email"
        )
    if member is None:
        member = InstitutionMember(
            institution_id=institution.id,
            user_id=user.id,
            added_by_id=added_by.id if added_by else None,
        )
        if not added_once(member):
            # added twice at once (a double tap): one person, one membership, the first's
            return add_member(institution_id, email, can_approve=can_approve, added_by=added_by)
    member.can_approve = can_approve
    grant_role(user, Role.OFFICER, granted_by=added_by)
    db.session.flush()
    return member


def remove_member(institution_id: int, member_id: int) -> None:
    """Take an officer out of an institution; their quotes stay with the institution."""
    member = db.session.get(InstitutionMember, member_id)
    if member is None or member.institution_id != institution_id:
        raise NotFound(_l("Anggota tidak ditemukan."))
    db.session.delete(member)
    db.session.flush()


def list_institutions() -> list[Institution]:
    return list(
        db.session.scalars(
            select(Institution)
            .options(selectinload(Institution.members).selectinload(InstitutionMember.user))
            .order_by(Institution.name)
        )
    )


def get_institution(institution_id: int) -> Institution:
    institution = db.session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(_l("Instansi tidak ditemukan."))
    return institution


def membership_of(user: User) -> InstitutionMember | None:
    return db.session.scalar(
        select(InstitutionMember)
        .where(InstitutionMember.user_id == user.id)
        .options(joinedload(InstitutionMember.institution))
    )


def office_of(user: User):
    """The officer's place, as a row of ``institution_id`` and ``can_approve``; None when
    ``user`` is no officer of any institution (one short statement, no objects)."""
    return read_rows(_office_statement(), {"user_id": user.id}).first()


@cache
def _office_statement():
    """``office_of``'s statement, built once (every officer's page asks it)."""
    return select(InstitutionMember.institution_id, InstitutionMember.can_approve).where(
        InstitutionMember.user_id == bindparam("user_id")
    )


#: ``office_page_of``'s statement: built once
_OFFICE_PAGE = (
    select(InstitutionMember.institution_id, Institution.name, Institution.unit)
    .join(Institution, Institution.id == InstitutionMember.institution_id)
    .where(InstitutionMember.user_id == bindparam("user_id"))
)


def office_page_of(user: User):
    """The officer's institution as its dashboard heads it: a row of ``institution_id``,
    ``name`` and ``unit``; None when ``user`` is no officer of any institution."""
    return read_rows(_OFFICE_PAGE, {"user_id": user.id}).first()


def is_officer_of(user: User, institution_id: int) -> bool:
    """Whether ``user`` is an officer of this institution (its quotes, templates, orders)."""
    office = office_of(user)
    return office is not None and office.institution_id == institution_id


def require_membership(user: User) -> InstitutionMember:
    member = membership_of(user)
    if member is None:
        raise InstitutionError(_l("Akun Anda belum terdaftar di instansi mana pun. Hubungi admin."))
    return member


DEMO_INSTITUTION = "Biro Umum Setda Provinsi Kalimantan Utara"


DEMO_APPROVER = ("kepala.biro@demo.id", "Kepala Biro Umum (demo)", "081254319005")


def load_demo_institution(password: str) -> int:
    """The demo protocol office, its officer and its approver; returns 1 if it was added."""

    added = 0
    institution = db.session.scalar(select(Institution).where(Institution.name == DEMO_INSTITUTION))
    if institution is None:
        institution = create_institution(
            name=DEMO_INSTITUTION,
            unit="Biro Umum Sekretariat Daerah Provinsi Kalimantan Utara",
            address="Jl. Kolonel H. Soetadji, Tanjung Selor, Kabupaten Bulungan, Kalimantan Utara",
            npwp="00.123.456.7-727.000",
            treasurer_name="Hj. Nurul Hidayah, S.E.",
        )
        added = 1
    email, name, phone = DEMO_APPROVER
    approver = db.session.scalar(select(User).where(User.email == email))
    if approver is None:
        approver = register_user(
            name=name, email=email, phone=phone, password=password, welcome=False
        )
    officer = db.session.scalar(select(User).where(User.email == "protokol@demo.id"))
    for user, can_approve in ((officer, False), (approver, True)):
        if user is not None and membership_of(user) is None:
            add_member(institution.id, user.email, can_approve=can_approve)
    # Made-to-order demo goods get a daily capacity, so the builder has something to check.
    for product in db.session.scalars(
        select(Product).where(Product.is_made_to_order, Product.daily_capacity.is_(None))
    ):
        product.daily_capacity = 10 if product.kind == ProductKind.CRAFT.value else 25
    db.session.flush()
    return added
