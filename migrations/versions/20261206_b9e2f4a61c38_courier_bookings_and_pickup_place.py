"""Courier bookings (the aggregator's price now, the booking's cancellation) and the
household's pickup kecamatan and postal code

Revision ID: b9e2f4a61c38
Revises: e4b81c3f5a07
Create Date: 2026-12-06 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "b9e2f4a61c38"
down_revision = "e4b81c3f5a07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "courier_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cancel_status", sa.String(length=16), server_default="", nullable=False),
        sa.Column("cancel_note", sa.String(length=255), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price_amount >= 0", name=op.f("ck_courier_bookings_price_not_negative")),
        sa.CheckConstraint(
            "cancel_status IN ('', 'cancelled', 'failed')",
            name=op.f("ck_courier_bookings_known_cancel"),
        ),
        sa.ForeignKeyConstraint(["part_id"], ["order_parts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("part_id"),
    )
    with op.batch_alter_table("sellers") as batch_op:
        batch_op.add_column(
            sa.Column("pickup_district", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("pickup_postal_code", sa.String(length=5), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("sellers") as batch_op:
        batch_op.drop_column("pickup_postal_code")
        batch_op.drop_column("pickup_district")
    op.drop_table("courier_bookings")
