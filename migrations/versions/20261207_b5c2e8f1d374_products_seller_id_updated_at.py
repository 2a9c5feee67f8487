"""Index a household's products by when they changed, so its dashboard reads one page from the index

Revision ID: b5c2e8f1d374
Revises: a7d4e0c9b215
Create Date: 2026-12-07 06:50:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b5c2e8f1d374"
down_revision = "a7d4e0c9b215"
branch_labels = None
depends_on = None


def upgrade():
    # The dashboard read and sorted all of a household's products for each page.
    op.create_index(
        "ix_products_seller_id_updated_at", "products", ["seller_id", "updated_at", "id"]
    )


def downgrade():
    op.drop_index("ix_products_seller_id_updated_at", table_name="products")
