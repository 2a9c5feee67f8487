"""Read a household's ledger entries of one month from one index (its monthly statement)

Revision ID: f3b8d1c6a920
Revises: c5a1e7d3b902
Create Date: 2026-12-06 21:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f3b8d1c6a920"
down_revision = "c5a1e7d3b902"
branch_labels = None
depends_on = None


def upgrade():
    # A statement reads one month of a household's entries: by this index that month's
    # entries are read, not every entry the household ever had.
    op.create_index(
        "ix_ledger_entries_seller_created", "ledger_entries", ["seller_id", "created_at"]
    )


def downgrade():
    op.drop_index("ix_ledger_entries_seller_created", table_name="ledger_entries")
