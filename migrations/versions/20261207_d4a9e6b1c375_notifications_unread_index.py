"""Index each person's unread messages, so the header counts them without reading the read ones

Revision ID: d4a9e6b1c375
Revises: c8e1f4a2d690
Create Date: 2026-12-07 18:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4a9e6b1c375"
down_revision = "c8e1f4a2d690"
branch_labels = None
depends_on = None


def upgrade():
    # Every signed-in page counts the person's unread messages. Through the index of all
    # their messages, a household with 5,000 orders read some 15,000 entries a page.
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id", "id"],
        sqlite_where=sa.text("read_at IS NULL"),
        postgresql_where=sa.text("read_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_notifications_unread", table_name="notifications")
