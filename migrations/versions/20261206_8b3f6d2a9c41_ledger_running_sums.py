"""Keep a household's ledger sums as the entries are written (per account, month and kind;
per part what waits), back-filled from the entries

Revision ID: 8b3f6d2a9c41
Revises: 5d2e8a41c7b3
Create Date: 2026-12-06 16:00:00.000000

"""

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8b3f6d2a9c41"
down_revision = "5d2e8a41c7b3"
branch_labels = None
depends_on = None

#: Kalimantan Utara keeps WITA (UTC+8) all year
WITA = dt.timezone(dt.timedelta(hours=8))
WAITING = {"seller_pending", "shipping"}


def upgrade():
    sums = op.create_table(
        "seller_ledger_sums",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_ledger_sums_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "seller_id", "account", "month", "kind", name=op.f("pk_seller_ledger_sums")
        ),
    )
    waiting = op.create_table(
        "part_waiting_sums",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("order_part_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_part_id"],
            ["order_parts.id"],
            name=op.f("fk_part_waiting_sums_order_part_id_order_parts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_part_waiting_sums_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seller_id", "order_part_id", name=op.f("pk_part_waiting_sums")),
    )
    op.create_index(
        "ix_part_waiting_sums_waiting",
        "part_waiting_sums",
        ["seller_id"],
        sqlite_where=sa.text("amount <> 0"),
        postgresql_where=sa.text("amount <> 0"),
    )
    _back_fill(sums, waiting)


def _back_fill(sums_table, waiting_table):
    """The sums of every entry there is, as ``money/ledger_sums.py`` keeps them."""
    entries = sa.table(
        "ledger_entries",
        sa.column("event_key", sa.String),
        sa.column("account", sa.String),
        sa.column("seller_id", sa.Integer),
        sa.column("order_part_id", sa.Integer),
        sa.column("amount", sa.BigInteger),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    sums = defaultdict(int)
    waiting = defaultdict(int)
    rows = op.get_bind().execute(
        sa.select(
            entries.c.event_key,
            entries.c.account,
            entries.c.seller_id,
            entries.c.order_part_id,
            entries.c.amount,
            entries.c.created_at,
        ).where(entries.c.seller_id.is_not(None))
    )
    for event_key, account, seller_id, part_id, amount, created_at in rows:
        if isinstance(created_at, str):
            created_at = dt.datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=dt.UTC)
        month = created_at.astimezone(WITA).date().replace(day=1)
        if event_key.startswith("refund-"):
            kind = "refund"
        else:
            kind = "sale" if amount > 0 else "other"
        sums[(seller_id, account, month, kind)] += amount
        if part_id is not None and account in WAITING:
            waiting[(seller_id, part_id)] += amount
    if sums:
        op.bulk_insert(
            sums_table,
            [
                {"seller_id": s, "account": a, "month": m, "kind": k, "amount": amount}
                for (s, a, m, k), amount in sums.items()
            ],
        )
    if waiting:
        op.bulk_insert(
            waiting_table,
            [
                {"seller_id": s, "order_part_id": p, "amount": amount}
                for (s, p), amount in waiting.items()
            ],
        )


def downgrade():
    op.drop_index("ix_part_waiting_sums_waiting", table_name="part_waiting_sums")
    op.drop_table("part_waiting_sums")
    op.drop_table("seller_ledger_sums")
