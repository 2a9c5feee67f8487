"""The one way a message is sent: ``notify(person, kind, …)``.

It records the message once (its key: kind, the thing, the recipient), which is the
person's inbox entry, and one delivery per channel the person can be reached on and
chose (e-mail, WhatsApp, Web Push). Each delivery is sent by a job once the unit of work
commits (``marketplace.notify.delivery``). WhatsApp and push wait out the quiet hours
(21:00-06:00 WITA) unless the message's deadline is near; e-mail wakes nobody and goes at once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update

from marketplace.db import WITA, db, now_utc
from marketplace.errors import MarketplaceError, NotFound
from marketplace.jobs import enqueue
from marketplace.notify.kinds import KINDS, Message, plain
from marketplace.notify.models import (
    EMAIL,
    PUSH,
    WHATSAPP,
    ChannelChoice,
    Delivery,
    Notification,
    PushSubscription,
)

#: Quiet hours, in WITA: WhatsApp and push wait from 21:00 until 06:00.
QUIET_FROM_HOUR, QUIET_UNTIL_HOUR = 21, 6
#: A deadline closer than this is near: the message goes at once, quiet hours or not.
NEAR_DEADLINE = dt.timedelta(hours=12)


@dataclass(frozen=True)
class Person:
    """Whom a message is for: an account (``user_id``) or a buyer without one."""

    user_id: int | None
    name: str
    email: str | None = None
    #: the WhatsApp number, E.164 (``+6281234567890``)
    phone: str | None = None
    locale: str | None = None

    @classmethod
    def of(cls, user, *, phone: str | None = None) -> Person:
        """The person of an account (anything with id, name, email, phone and locale)."""
        return cls(user.id, user.name, user.email, phone or user.phone, user.locale)


class NotifyError(MarketplaceError):
    """A push subscription that is not one a browser makes."""


def notify(
    person: Person,
    kind: str,
    *,
    about: str,
    url: str,
    deadline: dt.datetime | None = None,
    **context,
) -> Notification:
    """Record message ``kind`` about ``about`` (``part-12``) for ``person``, once, and queue
    its sending on the person's channels after the commit. ``url`` opens the thing itself."""
    if kind not in KINDS:
        raise KeyError(f"unknown message kind {kind}")
    key = _key(kind, about, person)
    existing = db.session.scalar(select(Notification).where(Notification.key == key))
    if existing is not None:
        return existing
    notification = Notification(
        key=key,
        user_id=person.user_id,
        kind=kind,
        context=plain(context),
        url=url,
        deadline_at=deadline,
        locale=person.locale or "id",
    )
    db.session.add(notification)
    db.session.flush()
    now = now_utc()
    deliveries = [
        Delivery(
            notification_id=notification.id,
            channel=channel,
            target=target,
            not_before=now if channel == EMAIL else release_time(now, deadline),
        )
        for channel, target in _channels(person, kind)
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery in deliveries:
        if delivery.not_before <= now:
            enqueue("notify.deliver", delivery.id)
    return notification


def _key(kind: str, about: str, person: Person) -> str:
    who = f"u{person.user_id}" if person.user_id else f"c{person.email or person.phone}"
    key = f"{kind}:{about}:{who}"
    if len(key) > 200:
        key = f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def release_time(now: dt.datetime, deadline: dt.datetime | None) -> dt.datetime:
    """When a message that buzzes a phone may go: now, or 06:00 WITA after quiet hours."""
    if deadline is not None and deadline - now < NEAR_DEADLINE:
        return now
    local = now.astimezone(WITA)
    morning = local.replace(hour=QUIET_UNTIL_HOUR, minute=0, second=0, microsecond=0)
    if local.hour >= QUIET_FROM_HOUR:
        return (morning + dt.timedelta(days=1)).astimezone(dt.UTC)
    if local.hour < QUIET_UNTIL_HOUR:
        return morning.astimezone(dt.UTC)
    return now


def whatsapp_on() -> bool:
    config = current_app.config
    return bool(config.get("WHATSAPP_TOKEN") and config.get("WHATSAPP_PHONE_NUMBER_ID"))


def push_on() -> bool:
    return bool(current_app.config.get("VAPID_PRIVATE_KEY"))


def _channels(person: Person, kind: str) -> list[tuple[str, str]]:
    choice = choices_for(person.user_id) if person.user_id else ChannelChoice()
    channels: list[tuple[str, str]] = []
    if person.email and choice.email is not False:
        channels.append((EMAIL, person.email))
    if person.phone and choice.whatsapp is not False and whatsapp_on() and KINDS[kind].template:
        channels.append((WHATSAPP, person.phone))
    if person.user_id and choice.push is not False and push_on():
        subscriptions = db.session.scalars(
            select(PushSubscription.id).where(
                PushSubscription.user_id == person.user_id, PushSubscription.ended_at.is_(None)
            )
        )
        channels.extend((PUSH, str(subscription_id)) for subscription_id in subscriptions)
    return channels


def write(notification: Notification, locale: str | None = None) -> Message:
    """The message in ``locale`` (default: the recipient's), from its kind and context."""
    kind = KINDS.get(notification.kind)
    with force_locale(locale or notification.locale):
        if kind is None:
            return Message(notification.kind, [])
        return kind.write(notification.context)


def absolute_url(path: str) -> str:
    return current_app.config["SITE_URL"].rstrip("/") + path


# --- the inbox ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    id: int
    message: Message
    created_at: dt.datetime
    deadline_at: dt.datetime | None
    is_read: bool


def inbox(user_id: int, locale: str, limit: int = 100) -> tuple[list[Entry], list[Entry]]:
    """A person's messages: those to act on by a deadline still ahead (soonest first), and
    the others (newest first)."""
    now = now_utc()
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    entries = [
        (row, Entry(row.id, write(row, locale), row.created_at, row.deadline_at, bool(row.read_at)))
        for row in rows
    ]
    due = [entry for row, entry in entries if row.deadline_at and row.deadline_at > now]
    due.sort(key=lambda entry: entry.deadline_at)
    rest = [entry for row, entry in entries if not (row.deadline_at and row.deadline_at > now)]
    return due, rest


#: the most unread messages the header shows as a number; beyond, "99+"
UNREAD_SHOWN = 99


def unread_count_of(user_id):
    """How many messages of ``user_id`` (a value, or a column to correlate with) are unread,
    counted up to ``UNREAD_SHOWN + 1``: from the unread messages' own index
    (``ix_notifications_unread``), the newest hundred entries at most, however many a
    household leaves unread."""
    unread = and_(Notification.user_id == user_id, Notification.read_at.is_(None))
    # the id of the hundredth newest unread message (none: fewer are unread)
    hundredth = (
        select(Notification.id)
        .where(unread)
        .order_by(Notification.id.desc())
        .offset(UNREAD_SHOWN)
        .limit(1)
        .correlate_except(Notification)
        .scalar_subquery()
    )
    return (
        select(func.count(Notification.id))
        .where(unread, Notification.id >= func.coalesce(hundredth, 0))
        .correlate_except(Notification)
        .scalar_subquery()
    )


def shown_unread(count: int) -> int | str:
    """The header's count of unread messages: the number, or "99+" beyond ``UNREAD_SHOWN``."""
    return count if count <= UNREAD_SHOWN else f"{UNREAD_SHOWN}+"


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(unread_count_of(user_id)))


def open_notification(notification_id: int, user_id: int) -> str:
    """Mark a person's own message read; the address of the thing it is about."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound(_l("Pemberitahuan tidak ditemukan."))
    if notification.read_at is None:
        notification.read_at = now_utc()
    return notification.url


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now_utc())
        .execution_options(synchronize_session=False)
    )


# --- the person's choices and phones ------------------------------------------------------


def choices_for(user_id: int) -> ChannelChoice:
    """The channels chosen; without a saved choice, all of them."""
    return db.session.get(ChannelChoice, user_id) or ChannelChoice(
        user_id=user_id, email=True, whatsapp=True, push=True
    )


def save_choices(user_id: int, *, email: bool, whatsapp: bool, push: bool) -> ChannelChoice:
    choice = db.session.get(ChannelChoice, user_id) or ChannelChoice(user_id=user_id)
    choice.email, choice.whatsapp, choice.push = email, whatsapp, push
    db.session.add(choice)
    db.session.flush()
    return choice


def _b64_length(value: str, length: int) -> bool:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == length


def subscribe(user_id: int, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep a browser's push subscription for this person (a known endpoint moves to them)."""
    parts = urlsplit(endpoint or "")
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not (parts.scheme == "https" or local) or not parts.hostname or len(endpoint) > 1000:
        raise NotifyError(_l("Alamat langganan pemberitahuan tidak dikenali."))
    # The browser's P-256 public key (65 bytes, uncompressed) and its 16-byte auth secret.
    if not _b64_length(p256dh or "", 65) or not _b64_length(auth or "", 16):
        raise NotifyError(_l("Kunci langganan pemberitahuan tidak dikenali."))
    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    ) or PushSubscription(endpoint=endpoint)
    subscription.user_id, subscription.p256dh, subscription.auth = user_id, p256dh, auth
    subscription.ended_at = None
    db.session.add(subscription)
    db.session.flush()
    return subscription


#: the session's note of the subscription this browser made (its id), so that signing out
#: ends it: a phone shared in a household stops showing the shop's orders to whoever holds it
BROWSER_SUBSCRIPTION = "push_subscription"


def end_browser_subscription(user_id: int, subscription_id: object) -> None:
    """End the subscription this browser made for ``user_id`` (its id as the session kept
    it; anything else ends nothing)."""
    if not isinstance(subscription_id, int):
        return
    db.session.execute(
        update(PushSubscription)
        .where(PushSubscription.id == subscription_id, PushSubscription.user_id == user_id)
        .where(PushSubscription.ended_at.is_(None))
        .values(ended_at=now_utc())
        .execution_options(synchronize_session=False)
    )


def unsubscribe(user_id: int, endpoint: str) -> None:
    db.session.execute(
        update(PushSubscription)
        .where(PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint)
        .values(ended_at=now_utc())
        .execution_options(synchronize_session=False)
    )


def has_push(user_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count(PushSubscription.id)).where(
                PushSubscription.user_id == user_id, PushSubscription.ended_at.is_(None)
            )
        )
        > 0
    )
