"""Record how an admin settled a complaint

Revision ID: 351869f21dc0
Revises: e83d45b26d20
Create Date: 2026-11-29 05:41:30.449211

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "351869f21dc0"
down_revision = "e83d45b26d20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("part_complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("resolution_note", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_part_complaints_resolved_by_id_users"),
            "users",
            ["resolved_by_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("part_complaints", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_part_complaints_resolved_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolution")
