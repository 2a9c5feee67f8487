"""A household's ledger sums, kept as the entries are written: derived data, never the truth.

The ledger stays the truth: every entry is still written and never changed. In the same
flush that inserts entries (``_keep_sums`` below: whoever adds them, the one writer in
``services._write_legs`` or a test), their amounts are added to two small tables by an
``INSERT … ON CONFLICT DO UPDATE SET amount = amount + excluded.amount``, one atomic
statement on SQLite and PostgreSQL alike, so two writers at once both count:

- ``seller_ledger_sums``: per household, account, WITA month and kind (a sale's credit, a
  refund's leg, anything else): balances and a month's or all time's sales are a few rows;
- ``part_waiting_sums``: per order part, its pending share and shipping: what waits.

``differences()`` recomputes both from the entries (``flask payouts check-balances``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, delete, event, insert, select
from sqlalchemy.orm import Session

from marketplace.db import WITA, db
from marketplace.money.models import Account, LedgerEntry, PartWaitingSum, SellerLedgerSum

#: the accounts whose money waits for a part to be delivered
WAITING = frozenset({Account.SELLER_PENDING.value, Account.SHIPPING.value})

SumKey = tuple[int, str, dt.date, str]
PartKey = tuple[int, int]


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the WITA month ``moment`` falls in (naive: UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(WITA).date().replace(day=1)


def kind_of(event_key: str, amount: int) -> str:
    if event_key.startswith("refund-"):
        return "refund"
    return "sale" if amount > 0 else "other"


def _sums(
    rows: Iterable[tuple[str, str, int | None, int | None, int, dt.datetime]],
) -> tuple[dict[SumKey, int], dict[PartKey, int]]:
    """(event_key, account, seller, part, amount, created_at) rows, summed both ways."""
    sums: dict[SumKey, int] = defaultdict(int)
    waiting: dict[PartKey, int] = defaultdict(int)
    for event_key, account, seller_id, part_id, amount, created_at in rows:
        if seller_id is None:
            continue
        sums[(seller_id, account, month_of(created_at), kind_of(event_key, amount))] += amount
        if part_id is not None and account in WAITING:
            waiting[(seller_id, part_id)] += amount
    return sums, waiting


def _insert_for(connection: Connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def add_entries(connection: Connection, entries: Iterable[LedgerEntry]) -> None:
    """Add new entries' amounts to the sums, in the transaction that inserts them."""
    sums, waiting = _sums(
        (e.event_key, e.account, e.seller_id, e.order_part_id, e.amount, e.created_at)
        for e in entries
    )
    dialect_insert = _insert_for(connection)
    for model, rows in (
        (
            SellerLedgerSum,
            [
                {"seller_id": s, "account": a, "month": m, "kind": k, "amount": amount}
                for (s, a, m, k), amount in sorted(sums.items())
            ],
        ),
        (
            PartWaitingSum,
            [
                {"seller_id": s, "order_part_id": p, "amount": amount}
                for (s, p), amount in sorted(waiting.items())
            ],
        ),
    ):
        if not rows:
            continue
        table = model.__table__
        stmt = dialect_insert(table).values(rows)
        keys = [column.name for column in table.primary_key.columns]
        # One statement: the row is created or added to, atomically, under any concurrency;
        # its rows in key order (households by id), so two writers lock them in one order.
        connection.execute(
            stmt.on_conflict_do_update(
                index_elements=keys, set_={"amount": table.c.amount + stmt.excluded.amount}
            )
        )


@event.listens_for(Session, "after_flush")
def _keep_sums(session: Session, flush_context) -> None:
    """The household's running sums move in the flush that inserts its entries."""
    entries = [obj for obj in session.new if isinstance(obj, LedgerEntry)]
    if entries:
        add_entries(session.connection(), entries)


def _from_ledger(connection: Connection):
    columns = LedgerEntry.__table__.c
    rows = connection.execute(
        select(
            columns.event_key,
            columns.account,
            columns.seller_id,
            columns.order_part_id,
            columns.amount,
            columns.created_at,
        ).where(columns.seller_id.is_not(None))
    )
    return _sums(tuple(row) for row in rows)


def _stored(connection: Connection) -> tuple[dict[SumKey, int], dict[PartKey, int]]:
    sums = {
        (row.seller_id, row.account, row.month, row.kind): int(row.amount)
        for row in connection.execute(select(SellerLedgerSum.__table__))
    }
    waiting = {
        (row.seller_id, row.order_part_id): int(row.amount)
        for row in connection.execute(select(PartWaitingSum.__table__))
    }
    return sums, waiting


def differences(connection: Connection | None = None) -> list[str]:
    """Every sum that is not what the ledger's entries add up to, in words (none: all kept)."""
    connection = connection or db.session.connection()
    found: list[str] = []
    for name, expected, stored in zip(
        ("seller_ledger_sums", "part_waiting_sums"),
        _from_ledger(connection),
        _stored(connection),
        strict=True,
    ):
        for key in sorted(set(expected) | set(stored), key=str):
            want, have = expected.get(key, 0), stored.get(key, 0)
            if want != have:
                found.append(f"{name} {key}: ledger {want}, kept {have}")
    return found


def rebuild(connection: Connection | None = None) -> None:
    """Recompute both tables from the entries (after a bulk load that bypassed the ORM)."""
    connection = connection or db.session.connection()
    sums, waiting = _from_ledger(connection)
    connection.execute(delete(SellerLedgerSum.__table__))
    connection.execute(delete(PartWaitingSum.__table__))
    if sums:
        connection.execute(
            insert(SellerLedgerSum.__table__),
            [
                {"seller_id": s, "account": a, "month": m, "kind": k, "amount": amount}
                for (s, a, m, k), amount in sums.items()
            ],
        )
    if waiting:
        connection.execute(
            insert(PartWaitingSum.__table__),
            [
                {"seller_id": s, "order_part_id": p, "amount": amount}
                for (s, p), amount in waiting.items()
            ],
        )
