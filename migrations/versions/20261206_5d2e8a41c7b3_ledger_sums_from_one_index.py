"""Read a household's ledger sums from one index: seller, account, part, amount, key, time

Revision ID: 5d2e8a41c7b3
Revises: d81f4c2b7e39
Create Date: 2026-12-06 15:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5d2e8a41c7b3"
down_revision = "d81f4c2b7e39"
branch_labels = None
depends_on = None

COLUMNS = ["seller_id", "account", "order_part_id", "amount", "event_key", "created_at"]


def upgrade():
    # The earnings page sums a household's entries by account (balances, sales, what
    # waits per part): with every column it reads in the index, no row is fetched.
    op.create_index("ix_ledger_entries_seller_sums", "ledger_entries", COLUMNS)
    op.drop_index("ix_ledger_entries_seller_id_account", table_name="ledger_entries")


def downgrade():
    op.create_index(
        "ix_ledger_entries_seller_id_account", "ledger_entries", ["seller_id", "account"]
    )
    op.drop_index("ix_ledger_entries_seller_sums", table_name="ledger_entries")
