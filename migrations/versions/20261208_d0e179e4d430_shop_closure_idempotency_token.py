"""Keep the form's token on each shop closure, so "Ya, tutup toko" sent twice closes it once

Revision ID: d0e179e4d430
Revises: a65766f5bf02
Create Date: 2026-12-08 01:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d0e179e4d430"
down_revision = "a65766f5bf02"
branch_labels = None
depends_on = None


def upgrade():
    # Closures made before have no token (NULL): a unique constraint allows many of those.
    with op.batch_alter_table("shop_closures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_shop_closures_idempotency_token"), ["idempotency_token"]
        )


def downgrade():
    with op.batch_alter_table("shop_closures", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_shop_closures_idempotency_token"), type_="unique")
        batch_op.drop_column("idempotency_token")
