"""Give outgoing mails a status, attempts and a claim time, so each is sent once

Revision ID: 5b1e0c7d2a94
Revises: e697cbdd50fe
Create Date: 2026-12-06 08:40:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "5b1e0c7d2a94"
down_revision = "e697cbdd50fe"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_mails") as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="queued", nullable=False)
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=255), nullable=True))
        batch_op.create_check_constraint(
            "known_status", "status IN ('queued', 'sending', 'sent', 'failed')"
        )
    # Mails sent before this revision keep their sent_at; the others are queued (the sweep
    # sends those still unsent).
    op.execute("UPDATE outgoing_mails SET status = 'sent' WHERE sent_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("outgoing_mails") as batch_op:
        batch_op.drop_constraint("known_status", type_="check")
        batch_op.drop_column("last_error")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
