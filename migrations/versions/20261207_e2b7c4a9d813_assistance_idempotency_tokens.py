"""Keep the form's token on each assistance record, so the same form sent twice records once

Revision ID: e2b7c4a9d813
Revises: d4a9e6b1c375
Create Date: 2026-12-07 21:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e2b7c4a9d813"
down_revision = "d4a9e6b1c375"
branch_labels = None
depends_on = None

#: the records the impact report counts; a double tap on "Simpan" made two of each
TABLES = ("training_sessions", "packaging_helps", "capital_assistances")


def upgrade():
    # Records made before have no token (NULL): a unique constraint allows many of those.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("idempotency_token", sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(
                batch_op.f(f"uq_{table}_idempotency_token"), ["idempotency_token"]
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_idempotency_token"), type_="unique")
            batch_op.drop_column("idempotency_token")
