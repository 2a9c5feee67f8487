"""Index a household's reviews by time, so its reviews page reads one page from the index

Revision ID: a7d4e0c9b215
Revises: f3b9d2a61c48
Create Date: 2026-12-06 21:40:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d4e0c9b215"
down_revision = "f3b9d2a61c48"
branch_labels = None
depends_on = None


def upgrade():
    # A household with thousands of reviews had them all sorted for each page.
    op.create_index(
        "ix_reviews_seller_id_created_at", "reviews", ["seller_id", "created_at", "id"]
    )


def downgrade():
    op.drop_index("ix_reviews_seller_id_created_at", table_name="reviews")
