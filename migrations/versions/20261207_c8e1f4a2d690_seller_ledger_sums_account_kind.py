"""Index a household's ledger sums by account and kind, so its earnings page sums them from the index without a sort

Revision ID: c8e1f4a2d690
Revises: b5c2e8f1d374
Create Date: 2026-12-07 07:50:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c8e1f4a2d690"
down_revision = "b5c2e8f1d374"
branch_labels = None
depends_on = None


def upgrade():
    # The earnings page read a household's monthly sums from the table and sorted them per
    # account and kind; this index holds them in that order, with their amounts.
    op.create_index(
        "ix_seller_ledger_sums_account_kind",
        "seller_ledger_sums",
        ["seller_id", "account", "kind", "month", "amount"],
    )


def downgrade():
    op.drop_index("ix_seller_ledger_sums_account_kind", table_name="seller_ledger_sums")
