"""What orders hold about a buyer: in the person's download, forgotten at closing, and shown
to a household only while it needs it.

A household sees a buyer's name, WhatsApp number and address for its own part, and only
until the part is done (delivered or cancelled) plus ``MARKETPLACE_BUYER_CONTACT_DAYS``
(30 by default: time for a late complaint or a return). An order is a finance record and
is kept (what was bought, for how much, the kabupaten for the PKK's report); closing an
account removes the buyer's name, contact, street and postal code from its orders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.accounts.privacy import CLOSED_NAME, holds_personal_data
from marketplace.db import db, now_utc
from marketplace.orders.models import (
    CartItem,
    Order,
    OrderEvent,
    OrderPart,
    OrderStatus,
    PartStatus,
    SavedAddress,
)

#: a part in one of these has nothing left to do
DONE = (PartStatus.DELIVERED.value, PartStatus.CANCELLED.value)


def contact_days() -> int:
    return int(current_app.config.get("BUYER_CONTACT_DAYS", 30))


def done_at(part: OrderPart) -> dt.datetime | None:
    """When ``part`` was delivered or cancelled (its last such move), or None if not done."""
    if part.status not in DONE:
        return None
    return db.session.scalar(
        select(func.max(OrderEvent.created_at)).where(
            OrderEvent.part_id == part.id, OrderEvent.to_status.in_(DONE)
        )
    )


def contact_shown_until(part: OrderPart) -> dt.datetime | None:
    """Until when the household of ``part`` sees the buyer's contact; None: while not done."""
    finished = done_at(part)
    if finished is None:
        return None
    return finished + dt.timedelta(days=contact_days())


def buyer_contact_visible(part: OrderPart) -> bool:
    until = contact_shown_until(part)
    return until is None or now_utc() < until


def _buyer_orders(user: User) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.buyer_id == user.id)
            .options(selectinload(Order.parts).selectinload(OrderPart.lines))
            .order_by(Order.id)
        )
    )


def _export(user: User) -> list[dict[str, Any]]:
    return [
        {
            "nomor": order.number,
            "dibuat": order.created_at,
            "dibayar": order.paid_at,
            "status": order.status,
            "nama": order.contact_name,
            "email": order.contact_email,
            "whatsapp": order.contact_whatsapp,
            "alamat": {
                "jalan": order.street,
                "kecamatan": order.district,
                "kabupaten_kota": order.city,
                "provinsi": order.province,
                "kode_pos": order.postal_code,
            },
            "total_rupiah": order.total_amount,
            "ongkir_rupiah": order.shipping_amount,
            "bagian": [
                {
                    "status": part.status,
                    "kurir": part.courier,
                    "resi": part.tracking_number,
                    "barang": [
                        {
                            "nama": line.product_name,
                            "pilihan": line.variant_label,
                            "jumlah": line.quantity,
                            "harga_rupiah": line.unit_price_amount,
                        }
                        for line in part.lines
                    ],
                }
                for part in order.parts
            ],
        }
        for order in _buyer_orders(user)
    ]


def _open_order(user: User) -> str | None:
    for order in _buyer_orders(user):
        awaiting = (
            order.status == OrderStatus.AWAITING_PAYMENT.value and order.expires_at > now_utc()
        )
        running = order.status == OrderStatus.PAID.value and any(
            part.status not in DONE for part in order.parts
        )
        if awaiting or running:
            return _(
                "Pesanan %(number)s masih berjalan. Akun dapat ditutup setelah pesanan selesai.",
                number=order.number,
            )
    return None


def _forget(user: User) -> None:
    db.session.execute(
        update(Order)
        .where(Order.buyer_id == user.id)
        .values(
            buyer_id=None,
            contact_name=CLOSED_NAME,
            contact_email="",
            contact_whatsapp="",
            street="",
            postal_code="",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(CartItem.__table__.delete().where(CartItem.user_id == user.id))
    db.session.execute(SavedAddress.__table__.delete().where(SavedAddress.user_id == user.id))


def _addresses(user: User) -> list[dict[str, Any]]:
    saved = db.session.scalars(
        select(SavedAddress).where(SavedAddress.user_id == user.id).order_by(SavedAddress.id)
    )
    return [
        {
            "label": address.label,
            "nama": address.name,
            "whatsapp": address.whatsapp,
            "jalan": address.street,
            "kecamatan": address.district,
            "kabupaten_kota": address.city,
            "provinsi": address.province,
            "kode_pos": address.postal_code,
            "dibuat": address.created_at,
        }
        for address in saved
    ]


holds_personal_data("pesanan", forget=_forget, waits_for=_open_order)(_export)
holds_personal_data("alamat")(_addresses)
