"""The claim every outbox row goes through: sent by a job, once.

An outbox row (an e-mail, ``mail.OutgoingMail``; a notification's delivery,
``notify.models.Delivery``) is written with the change it tells about and sent by a job.
It moves ``queued`` → ``sending`` (one guarded UPDATE, committed before the outside
service is spoken to, so a second run of the job finds it taken) → ``sent``. A failed
attempt gives it back to ``queued``, or leaves it ``failed`` after ``MAX_ATTEMPTS``. A
claim older than ``CLAIM_MINUTES`` is abandoned (its worker died) and may be taken again;
``flask jobs sweep`` queues such rows again, and ends the ones that used their last
attempt. The models have ``status``, ``attempts``, ``claimed_at`` and ``last_error``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, or_, update

from marketplace.db import db, update_if, write_transaction

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
#: Attempts before a row is left ``failed`` for an admin (the job's RQ retries included).
MAX_ATTEMPTS = 5
#: A claim older than this is abandoned (its worker died): the row may be claimed again.
#: Well above the outside services' timeouts (SMTP 30 s, HTTP 20 s) and RQ's job timeout.
CLAIM_MINUTES = 5
ABANDONED = "abandoned: the worker stopped while sending"


def claim(model: type, row_id: int, now: dt.datetime, *conditions: Any) -> bool:
    """Take the row for this run of its job, and commit: True when this run holds it.

    A row is free when ``queued``, or ``sending`` under an abandoned claim, and has
    attempts left; ``conditions`` add the model's own (a delivery's quiet hours)."""
    abandoned = now - dt.timedelta(minutes=CLAIM_MINUTES)
    with write_transaction():
        claimed = update_if(
            model,
            row_id,
            or_(
                model.status == QUEUED,
                and_(model.status == SENDING, model.claimed_at < abandoned),
            ),
            model.attempts < MAX_ATTEMPTS,
            *conditions,
            status=SENDING,
            claimed_at=now,
            attempts=model.attempts + 1,
        )
        db.session.commit()
    return claimed


def mark(model: type, row_id: int, claimed_at: dt.datetime, status: Any, **values: Any) -> bool:
    """Move a claimed row on (``sent``, or the model's own end): only the run holding the
    claim changes it. Not committed: the caller's transaction may hold more."""
    return update_if(
        model,
        row_id,
        model.status == SENDING,
        model.claimed_at == claimed_at,
        status=status,
        **values,
    )


def give_back(model: type, row_id: int, claimed_at: dt.datetime, error: Exception) -> None:
    """A failed attempt, committed: ``queued`` for another, ``failed`` after the last."""
    with write_transaction():
        mark(
            model,
            row_id,
            claimed_at,
            case((model.attempts >= MAX_ATTEMPTS, FAILED), else_=QUEUED),
            last_error=f"{type(error).__name__}: {error}"[:255],
        )
        db.session.commit()


def end_abandoned(model: type, cutoff: dt.datetime) -> None:
    """The sweep: a worker that died holding the last allowed attempt leaves a row no job
    may claim any more; it is ``failed``, for an admin to see."""
    db.session.execute(
        update(model)
        .where(
            model.status == SENDING,
            model.claimed_at < cutoff,
            model.attempts >= MAX_ATTEMPTS,
        )
        .values(status=FAILED, last_error=ABANDONED)
        .execution_options(synchronize_session=False)
    )
