"""The ledger: append-only entries; every money event is a set that sums to zero."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.db import UTCDateTime, db, now_utc


class Account(enum.StrEnum):
    #: money received from buyers (negative: it came in)
    BUYER_FUNDS = "buyer_funds"
    #: money given back to buyers (positive: it went out)
    REFUNDS = "refunds"
    #: what the platform kept
    PLATFORM_COMMISSION = "platform_commission"
    #: a household's share, waiting for its part to be delivered
    SELLER_PENDING = "seller_pending"
    #: a household's shipping money, waiting with its share (the household pays the courier)
    SHIPPING = "shipping"
    #: a household's money ready for the next payout
    SELLER_AVAILABLE = "seller_available"
    #: a household's money already paid out (written by payout runs, a later slice)
    SELLER_PAID_OUT = "seller_paid_out"
    #: what the treasury still owes for a government order (negative: owed to us)
    GOVERNMENT_RECEIVABLE = "government_receivable"
    #: PPh 22 the treasurer withholds from a household's share: the government's, not unpaid
    GOVERNMENT_PPH22 = "government_pph22"
    #: the platform's own money advanced to households before the treasury pays
    PLATFORM_ADVANCE = "platform_advance"


class LedgerEntry(db.Model):
    """One leg of a money event; rows are only ever inserted, never changed or deleted.

    An event key names one event for one order part (``part-12-paid``), so every
    account appears at most once per event: the unique ``(event_key, account)``
    makes writing the same event twice impossible on every database (a nullable
    column in the key would not, NULLs being distinct).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("event_key", "account", name="uq_ledger_entries_event_key_account"),
        Index("ix_ledger_entries_seller_id_account", "seller_id", "account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(80), index=True)
    account: Mapped[str] = mapped_column(String(32))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    order_part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id"), index=True)
    #: whole rupiah, signed; the entries of one event sum to zero
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc)


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, flush_context, instances) -> None:
    """The ORM backstop: a ledger row is never changed or deleted, only added."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LedgerEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise LedgerIsAppendOnly("ledger entries are append-only; write a correction")
