"""Keep each payment's method and what its page shows (a QR, a virtual account number)

Revision ID: a7d3c1e9b5f2
Revises: 77669f733da4
Create Date: 2026-12-06 11:30:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "a7d3c1e9b5f2"
down_revision = "77669f733da4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments") as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=24), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("instructions", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("payments") as batch_op:
        batch_op.drop_column("instructions")
        batch_op.drop_column("method")
