"""Keep the builder's token on each quote, so the same gift box sent twice makes one draft

Revision ID: b8e4f1a7d352
Revises: a6d9e3f2c417
Create Date: 2026-12-07 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e4f1a7d352"
down_revision = "a6d9e3f2c417"
branch_labels = None
depends_on = None


def upgrade():
    # Quotes made before have no token (NULL): a unique constraint allows many of those.
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_quotes_idempotency_token"), ["idempotency_token"]
        )


def downgrade():
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_quotes_idempotency_token"), type_="unique")
        batch_op.drop_column("idempotency_token")
