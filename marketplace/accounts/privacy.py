"""What the site holds about a person: a download of it, and the closing of the account.

Indonesia's personal data protection law (UU 27/2022, Pasal 7-8 and 16) lets a person see
what is held about them and ask for it to be deleted, except what another law makes the
controller keep: orders, ledger entries and government documents are finance and tax
records (UU KUP Pasal 28 ayat 11: ten years), so they stay, without the person's contact.

``accounts`` sits under every domain, so it cannot know their tables: each domain
registers what it holds about a person with ``holds_personal_data`` (a section of the
download, what closing forgets, and what makes closing wait, such as an open order). The
README ("Personal data") lists what is kept and for how long.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from marketplace.accounts.models import Role, RoleGrant, User, new_session_token
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.services import AccountError, check_password
from marketplace.db import db, now_utc
from marketplace.locales import N_
from marketplace.mail import SENDING, OutgoingMail

#: the name an account takes when it is closed; orders and reviews show it (``shown_name``)
CLOSED_NAME = N_("Akun ditutup")
#: roles whose accounts hold a shop, a government office's work or the platform's: they
#: are closed with the admin (the payouts, the ledger and the documents must be settled)
STAFF_ROLES = (Role.SELLER, Role.OFFICER, Role.REVIEWER, Role.ADMIN)


def shown_name(name: str) -> str:
    """A person's name as a page shows it: a closed account's in the reader's language."""
    return _(CLOSED_NAME) if name == CLOSED_NAME else name


@dataclass(frozen=True)
class Section:
    """What one domain holds about a person."""

    #: the file in the download: ``<name>.json``
    name: str
    export: Callable[[User], list[dict[str, Any]]]
    #: removes or anonymises what is not needed once the account closes
    forget: Callable[[User], None] | None = None
    #: why the account cannot close yet (an open order), or None
    waits_for: Callable[[User], str | None] | None = None


SECTIONS: dict[str, Section] = {}


def holds_personal_data(
    name: str,
    *,
    forget: Callable[[User], None] | None = None,
    waits_for: Callable[[User], str | None] | None = None,
):
    """Register ``export(user) -> rows`` as the section ``name`` of a person's data."""

    def register(export: Callable[[User], list[dict[str, Any]]]):
        SECTIONS[name] = Section(name, export, forget, waits_for)
        return export

    return register


def _account(user: User) -> list[dict[str, Any]]:
    return [
        {
            "nama": user.name,
            "email": user.email,
            "nomor_hp": user.phone,
            "bahasa": user.locale,
            "peran": sorted(role.value for role in user.roles),
            "dibuat": user.created_at,
        }
    ]


def _messages(user: User) -> list[dict[str, Any]]:
    """The e-mails the site sent or will send to the person's address."""
    if not user.email:
        return []
    mails = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.to == user.email).order_by(OutgoingMail.id)
    )
    return [
        {
            "kepada": m.to,
            "judul": m.subject,
            "isi": m.body,
            "dibuat": m.created_at,
            "status": m.status,
        }
        for m in mails
    ]


def _forget_messages(user: User) -> None:
    """Every mail to the person goes, but one a worker is sending this moment."""
    if user.email:
        db.session.execute(
            delete(OutgoingMail).where(
                OutgoingMail.to == user.email, OutgoingMail.status != SENDING
            )
        )


SECTIONS["akun"] = Section("akun", _account)
SECTIONS["pesan"] = Section("pesan", _messages, _forget_messages)


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


README_TEXT = _l(
    "Data pribadi Anda di Pasar Oleh-Oleh Kaltara, diunduh %(when)s (UTC).\n\n"
    "Setiap berkas .json memuat satu bagian: akun, pesanan, ulasan, pesan, dan lainnya.\n"
    "Jumlah uang dalam rupiah utuh; tanggal dalam format ISO 8601 (UTC).\n"
)


def export_archive(user: User) -> bytes:
    """A ZIP of everything every domain holds about ``user``: one JSON file per section."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BACA-SAYA.txt", str(README_TEXT % {"when": now_utc().isoformat()}))
        for section in SECTIONS.values():
            rows = section.export(user)
            text = json.dumps(rows, default=_json, ensure_ascii=False, indent=2)
            archive.writestr(f"{section.name}.json", text)
    return buffer.getvalue()


def reasons_to_wait(user: User) -> list[str]:
    """Why ``user``'s account cannot be closed now; empty when it can."""
    reasons = []
    if user.has_role(*STAFF_ROLES):
        reasons.append(
            _(
                "Akun toko, petugas, peninjau dan admin ditutup bersama admin, setelah pencairan "
                "dan dokumen selesai. Hubungi admin."
            )
        )
    for section in SECTIONS.values():
        if section.waits_for and (reason := section.waits_for(user)):
            reasons.append(reason)
    return reasons


def close_account(user: User, password: str) -> None:
    """Close ``user``'s account: every domain forgets what it need not keep, the account
    loses its name, contact and password, and every session ends. Flushes, never commits."""
    check_password(user, password)
    if reasons := reasons_to_wait(user):
        raise AccountError(reasons[0], field="password")
    for section in SECTIONS.values():
        if section.forget:
            section.forget(user)
    db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id))
    user.name = CLOSED_NAME
    # The table wants an e-mail or a phone: a reserved domain (RFC 2606) reaches no one.
    user.email = f"ditutup-{user.id}@akun.invalid"
    user.phone = None
    user.locale = None
    user.password_hash = hash_password(new_session_token())
    user.session_token = new_session_token()
    user.is_active_account = False
    db.session.flush()
