"""Keep the six-digit codes sent by WhatsApp (a password reset, a new phone number)

Revision ID: 3e8b5c2f9a17
Revises: 9c4f1d2e7a31
Create Date: 2026-12-06 12:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3e8b5c2f9a17"
down_revision = "9c4f1d2e7a31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_contact_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_codes")),
    )
    with op.batch_alter_table("contact_codes") as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_codes_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("contact_codes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_codes_user_id"))
    op.drop_table("contact_codes")
