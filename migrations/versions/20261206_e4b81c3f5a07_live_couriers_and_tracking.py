"""Keep the courier service chosen from live rates, the aggregator's shipment and its tracking

Revision ID: e4b81c3f5a07
Revises: 46c4eef1f322
Create Date: 2026-12-06 12:20:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "e4b81c3f5a07"
down_revision = "46c4eef1f322"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order_parts") as batch_op:
        batch_op.add_column(
            sa.Column("courier_service", sa.String(length=60), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("shipment_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_order_parts_shipment_id", ["shipment_id"])
    op.create_table(
        "shipment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("happened_at", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["order_parts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    with op.batch_alter_table("shipment_events") as batch_op:
        batch_op.create_index("ix_shipment_events_part_id", ["part_id"], unique=False)


def downgrade():
    op.drop_table("shipment_events")
    with op.batch_alter_table("order_parts") as batch_op:
        batch_op.drop_constraint("uq_order_parts_shipment_id", type_="unique")
        batch_op.drop_column("shipment_id")
        batch_op.drop_column("courier_service")
