"""Keep the form's token on each saved address, so the same form sent twice adds one address

Revision ID: f5c3a8e1b926
Revises: e2b7c4a9d813
Create Date: 2026-12-07 21:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f5c3a8e1b926"
down_revision = "e2b7c4a9d813"
branch_labels = None
depends_on = None


def upgrade():
    # Addresses saved before have no token (NULL): a unique constraint allows many of those.
    with op.batch_alter_table("saved_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_saved_addresses_idempotency_token"), ["idempotency_token"]
        )


def downgrade():
    with op.batch_alter_table("saved_addresses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_saved_addresses_idempotency_token"), type_="unique")
        batch_op.drop_column("idempotency_token")
