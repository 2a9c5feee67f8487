"""Sending a message on one channel: a job per delivery, once, like the mail outbox.

A delivery moves ``queued`` → ``sending`` (one guarded UPDATE, committed before the
provider is spoken to, so a second run of the job finds it taken) → ``sent``; a failed
attempt gives it back (``queued``), or leaves it ``failed`` after ``MAX_ATTEMPTS``. A push
subscription the push service says is gone ends, and its delivery is ``skipped``.
``flask jobs sweep`` queues again what a lost job left undone, and what waited out the
quiet hours once they are over. E-mail goes on through the mail outbox
(``marketplace.mail``): its delivery writes the outgoing mail and is sent in one commit.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, func, or_, select, update

from marketplace import outbox
from marketplace.db import db, now_utc, write_transaction
from marketplace.jobs import enqueue, job, sweeper
from marketplace.mail import send_mail
from marketplace.notify.kinds import KINDS
from marketplace.notify.models import (
    EMAIL,
    PUSH,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    WHATSAPP,
    Delivery,
    PushSubscription,
)
from marketplace.notify.push import PushGone, send_push
from marketplace.notify.services import absolute_url, write
from marketplace.notify.whatsapp import send_template

log = logging.getLogger(__name__)


@job("notify.deliver")
def deliver(delivery_id: int) -> None:
    """Send one delivery, once: claim it, send it, mark it sent."""
    now = now_utc()
    if not outbox.claim(Delivery, delivery_id, now, Delivery.not_before <= now):
        return
    delivery = db.session.get(Delivery, delivery_id, populate_existing=True)
    try:
        provider_id = SENDERS[delivery.channel](delivery)
    except PushGone:
        db.session.rollback()
        _end_subscription(delivery_id, now)
        return
    except Exception as error:
        db.session.rollback()
        outbox.give_back(Delivery, delivery_id, now, error)
        raise  # RQ runs it again after a wait; else the sweep does
    outbox.mark(Delivery, delivery_id, now, SENT, sent_at=now_utc(), provider_id=provider_id)


def _send_email(delivery: Delivery) -> str | None:
    notification = delivery.notification
    message = write(notification)
    body = "\n".join([*message.lines, "", absolute_url(notification.url)])
    # Written in this job's commit with the ``sent`` mark: the mail outbox sends it once.
    send_mail(delivery.target, message.title, body + "\n")
    return None


def _send_whatsapp(delivery: Delivery) -> str | None:
    notification = delivery.notification
    message = write(notification)
    template = KINDS[notification.kind].template
    return send_template(
        delivery.target, template, notification.locale, message.params, notification.url
    )


def _send_push(delivery: Delivery) -> str | None:
    notification = delivery.notification
    subscription = db.session.get(PushSubscription, int(delivery.target))
    if subscription is None or subscription.ended_at is not None:
        raise PushGone("ended")
    message = write(notification)
    payload = {
        "title": message.title,
        "body": "\n".join(message.lines)[:500],
        "url": absolute_url(notification.url),
        "tag": f"n{notification.id}",
    }
    send_push(subscription.endpoint, subscription.p256dh, subscription.auth, payload)
    return None


SENDERS = {EMAIL: _send_email, WHATSAPP: _send_whatsapp, PUSH: _send_push}


def _end_subscription(delivery_id: int, claimed_at: dt.datetime) -> None:
    with write_transaction():
        delivery = db.session.get(Delivery, delivery_id)
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id == int(delivery.target))
            .values(ended_at=now_utc())
            .execution_options(synchronize_session=False)
        )
        outbox.mark(
            Delivery,
            delivery_id,
            claimed_at,
            SKIPPED,
            last_error="the push service no longer knows this subscription",
        )
        db.session.commit()


@sweeper
def requeue_deliveries() -> int:
    """Queue each delivery due and undone: left by a lost job, or held for quiet hours."""
    now = now_utc()
    cutoff = now - dt.timedelta(minutes=outbox.CLAIM_MINUTES)
    outbox.end_abandoned(Delivery, cutoff)
    held_and_due = and_(Delivery.claimed_at.is_(None), Delivery.not_before > Delivery.created_at)
    lost = func.coalesce(Delivery.claimed_at, Delivery.created_at) < cutoff
    ids = db.session.scalars(
        select(Delivery.id)
        .where(
            Delivery.status.in_((QUEUED, SENDING)),
            Delivery.not_before <= now,
            or_(held_and_due, lost),
        )
        .order_by(Delivery.id)
    ).all()
    for delivery_id in ids:
        enqueue("notify.deliver", delivery_id)
    return len(ids)
