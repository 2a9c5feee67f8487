"""Keep the upload form's token on each bank statement, so the same upload sent twice is one

Revision ID: 6fcbb6da24db
Revises: b2393614385e
Create Date: 2026-12-08 02:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6fcbb6da24db"
down_revision = "b2393614385e"
branch_labels = None
depends_on = None


def upgrade():
    # Statements imported before have no token (NULL), which a unique index allows many of.
    # A plain ADD COLUMN and an index: SQLite's batch mode would rebuild the table, which
    # the statement lines refer to.
    op.add_column(
        "bank_statements", sa.Column("idempotency_token", sa.String(length=64), nullable=True)
    )
    op.create_index(
        op.f("ix_bank_statements_idempotency_token"),
        "bank_statements",
        ["idempotency_token"],
        unique=True,
    )


def downgrade():
    op.drop_index(op.f("ix_bank_statements_idempotency_token"), table_name="bank_statements")
    # SQLite 3.35+ drops a column in place.
    op.drop_column("bank_statements", "idempotency_token")
