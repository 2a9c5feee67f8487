"""Food licences (SPP-IRT): remind households before a licence ends.

A food product whose licence has ended disappears from the shop
(``services._public``); a reminder some weeks before gives the household
time to renew it at the regency office.
"""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from marketplace.catalog.models import LicenceReminder, Product, ProductKind, ProductStatus, Seller
from marketplace.catalog.photos import photos_missing_variants, queue_variants
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.jobs import enqueue, job
from marketplace.notify import Message, Person, day, message_kind, notify

REMIND_DAYS_BEFORE = 60
#: how far ahead a reminder may be asked for: from a day to a year
REMIND_DAYS = range(1, 367)
#: the seller's dashboard warns this long ahead: renewing an SPP-IRT takes a while
WARN_DAYS_BEFORE = 183


def licence_state(product: Product, today: dt.date) -> str | None:
    """``"ended"`` (the food product is hidden), ``"ending"`` (within six months) or None."""
    if not product.is_food or product.licence_valid_until is None:
        return None
    if product.licence_valid_until < today:
        return "ended"
    if product.licence_valid_until <= today + dt.timedelta(days=WARN_DAYS_BEFORE):
        return "ending"
    return None


catalog_cli = AppGroup("catalog", help="Catalogue upkeep.")


def plan_licence_reminders(days_before: int = REMIND_DAYS_BEFORE) -> list[int]:
    """Record a reminder for each live food licence ending within ``days_before`` days.

    Returns the ids of the new reminders; a licence already reminded about is skipped.
    ``days_before`` is in ``REMIND_DAYS`` (ValueError otherwise).
    """
    if days_before not in REMIND_DAYS:
        raise ValueError(
            f"reminders are planned {REMIND_DAYS.start} to {REMIND_DAYS.stop - 1} days ahead, "
            f"not {days_before}"
        )
    today = today_local()
    stmt = (
        select(Product.id, Product.licence_valid_until)
        .outerjoin(
            LicenceReminder,
            and_(
                LicenceReminder.product_id == Product.id,
                LicenceReminder.licence_valid_until == Product.licence_valid_until,
            ),
        )
        .where(
            Product.kind == ProductKind.FOOD.value,
            Product.status.in_([ProductStatus.PUBLISHED.value, ProductStatus.PAUSED.value]),
            Product.licence_valid_until >= today,
            Product.licence_valid_until <= today + dt.timedelta(days=days_before),
            LicenceReminder.id.is_(None),
        )
    )
    reminders = [
        LicenceReminder(product_id=product_id, licence_valid_until=valid_until)
        for product_id, valid_until in db.session.execute(stmt)
    ]
    db.session.add_all(reminders)
    db.session.flush()
    for reminder in reminders:
        enqueue("catalog.send_licence_reminder", reminder.id)
    return [reminder.id for reminder in reminders]


@job("catalog.send_licence_reminder")
def send_licence_reminder(reminder_id: int) -> None:
    """Tell the household (``notify``); a reminder already sent is not sent again."""
    reminder = db.session.scalar(
        select(LicenceReminder)
        .where(LicenceReminder.id == reminder_id)
        .options(
            joinedload(LicenceReminder.product).joinedload(Product.seller).joinedload(Seller.user)
        )
    )
    if reminder is None or reminder.sent_at is not None:
        return
    product = reminder.product
    seller = product.seller
    reminder.sent_at = now_utc()
    notify(
        Person.of(seller.user, phone=seller.whatsapp),
        "licence.ending",
        about=f"licence-{reminder.id}",
        url=f"/penjual/produk/{product.id}",
        name=seller.user.name,
        product=product.name,
        number=product.pirt_number,
        until=reminder.licence_valid_until,
    )


@message_kind("licence.ending", template="izin_pirt_berakhir")
def _licence_ending(c: dict) -> Message:
    return Message(
        _("Izin P-IRT %(product)s segera berakhir", product=c["product"]),
        [
            _("Halo %(name)s,", name=c["name"]),
            _(
                "Izin P-IRT No. %(number)s untuk %(product)s berlaku sampai %(date)s. Setelah "
                "itu produk ini tidak tampil di pasar. Perpanjang SPP-IRT di dinas kesehatan "
                "kabupaten/kota Anda, lalu perbarui nomornya di toko Anda.",
                number=c["number"],
                product=c["product"],
                date=day(c["until"]),
            ),
        ],
        params=[c["product"], c["number"], day(c["until"])],
    )


@catalog_cli.command("remind-licences")
@click.option(
    "--days",
    default=REMIND_DAYS_BEFORE,
    show_default=True,
    type=click.IntRange(REMIND_DAYS.start, REMIND_DAYS.stop - 1),
)
def remind_licences_command(days: int) -> None:
    """Tell households whose food licences end within DAYS days (daily from cron)."""
    planned = plan_licence_reminders(days)
    db.session.commit()
    click.echo(f"{len(planned)} licence reminder(s) queued.")


@catalog_cli.command("photo-variants")
def photo_variants_command() -> None:
    """Queue the variants job again for every photo still missing some (after a failed job)."""
    keys = photos_missing_variants(current_app.config["PHOTO_WIDTHS"])
    for key in keys:
        queue_variants(key)
    db.session.commit()
    click.echo(f"{len(keys)} photo(s) queued for their variants.")
