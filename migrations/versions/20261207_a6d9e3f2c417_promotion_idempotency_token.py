"""Keep the form's token on each promotion, so the same form sent twice adds one promotion

Revision ID: a6d9e3f2c417
Revises: f5c3a8e1b926
Create Date: 2026-12-07 21:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a6d9e3f2c417"
down_revision = "f5c3a8e1b926"
branch_labels = None
depends_on = None


def upgrade():
    # Promotions made before have no token (NULL): a unique constraint allows many of those.
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_promotions_idempotency_token"), ["idempotency_token"]
        )


def downgrade():
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_promotions_idempotency_token"), type_="unique")
        batch_op.drop_column("idempotency_token")
