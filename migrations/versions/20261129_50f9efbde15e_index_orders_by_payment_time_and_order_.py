"""Index orders by payment time and order lines by part

The impact report reads the orders paid in a period and their lines; an order's page reads
its lines by part.

Revision ID: 50f9efbde15e
Revises: 7e7c95e247ef
Create Date: 2026-11-29 04:56:16.907522

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "50f9efbde15e"
down_revision = "7e7c95e247ef"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_order_lines_part_id", "order_lines", ["part_id"], unique=False)
    op.create_index("ix_orders_paid_at", "orders", ["paid_at"], unique=False)


def downgrade():
    op.drop_index("ix_orders_paid_at", table_name="orders")
    op.drop_index("ix_order_lines_part_id", table_name="order_lines")
