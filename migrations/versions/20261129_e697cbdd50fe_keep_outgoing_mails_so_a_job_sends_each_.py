"""Keep outgoing mails so a job sends each once

Revision ID: e697cbdd50fe
Revises: 351869f21dc0
Create Date: 2026-11-29 05:48:50.861292

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "e697cbdd50fe"
down_revision = "351869f21dc0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mails")),
    )


def downgrade():
    op.drop_table("outgoing_mails")
