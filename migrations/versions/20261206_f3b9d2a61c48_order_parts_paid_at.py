"""Keep each order part's payment time, so a household's inbox reads one page from an index

Revision ID: f3b9d2a61c48
Revises: f3b8d1c6a920
Create Date: 2026-12-06 21:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3b9d2a61c48"
down_revision = "f3b8d1c6a920"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("order_parts", sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
    # Every part paid so far takes its order's time; from now on lifecycle.move_order
    # writes both in the same transaction.
    op.execute(
        "UPDATE order_parts SET paid_at = "
        "(SELECT orders.paid_at FROM orders WHERE orders.id = order_parts.order_id)"
    )
    op.create_index(
        "ix_order_parts_seller_id_paid_at", "order_parts", ["seller_id", "paid_at", "id"]
    )


def downgrade():
    op.drop_index("ix_order_parts_seller_id_paid_at", table_name="order_parts")
    with op.batch_alter_table("order_parts") as batch:
        batch.drop_column("paid_at")
