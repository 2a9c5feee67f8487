"""Keep a signed-in buyer's address book (addresses by Kemendagri region codes)

Revision ID: c4a7e2d9b613
Revises: c12c1e5a2206
Create Date: 2026-12-06 11:30:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "c4a7e2d9b613"
down_revision = "c12c1e5a2206"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("whatsapp", sa.String(length=20), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=5), nullable=False),
        sa.Column("district", sa.String(length=8), nullable=False),
        sa.Column("street", sa.String(length=300), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_addresses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_addresses")),
    )
    with op.batch_alter_table("saved_addresses") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_addresses_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("saved_addresses") as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_addresses_user_id"))
    op.drop_table("saved_addresses")
