"""What shop applications hold about a person: in the download; at closing, an application
that never became a shop is deleted with its photo's record (an approved one belongs to
the shop, whose account closes with the admin)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from marketplace.accounts.models import User
from marketplace.accounts.privacy import holds_personal_data
from marketplace.db import db
from marketplace.sellers.models import SellerApplication


def _export(user: User) -> list[dict[str, Any]]:
    applications = db.session.scalars(
        select(SellerApplication).where(SellerApplication.user_id == user.id)
    )
    return [
        {
            "nama_toko": application.shop_name,
            "nama_pemilik": application.owner_name,
            "desa": application.village,
            "whatsapp": application.whatsapp,
            "nib": application.nib,
            "cerita": application.story,
            "status": application.status,
            "dibuat": application.created_at,
            "diputuskan": application.decided_at,
        }
        for application in applications
    ]


def _forget(user: User) -> None:
    db.session.execute(
        delete(SellerApplication).where(
            SellerApplication.user_id == user.id, SellerApplication.seller_id.is_(None)
        )
    )


holds_personal_data("pengajuan_toko", forget=_forget)(_export)
