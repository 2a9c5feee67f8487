"""Keep the token of the options form last applied to a product, so sent twice it adds once

Revision ID: 48423d7c68b6
Revises: d0e179e4d430
Create Date: 2026-12-08 01:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "48423d7c68b6"
down_revision = "d0e179e4d430"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: SQLite's batch mode would rebuild the table and drop the search
    # triggers. Products saved before have no token (NULL).
    op.add_column("products", sa.Column("options_token", sa.String(length=64), nullable=True))


def downgrade():
    # SQLite 3.35+ drops a column in place (no rebuild, the triggers stay).
    op.drop_column("products", "options_token")
