"""Sum the ledger by account from one index (the platform's government position)

Revision ID: c5a1e7d3b902
Revises: a3c7e915b2d4
Create Date: 2026-12-06 18:15:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c5a1e7d3b902"
down_revision = "a3c7e915b2d4"
branch_labels = None
depends_on = None


def upgrade():
    # The admin's invoices page sums three platform accounts over the whole ledger: by
    # this index a few entries are read, not every entry of every household.
    op.create_index("ix_ledger_entries_account_amount", "ledger_entries", ["account", "amount"])


def downgrade():
    op.drop_index("ix_ledger_entries_account_amount", table_name="ledger_entries")
