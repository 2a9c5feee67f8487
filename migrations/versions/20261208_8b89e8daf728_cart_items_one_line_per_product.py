"""One cart line per product sold without options: two adds at once stored two

Revision ID: 8b89e8daf728
Revises: b8e4f1a7d352
Create Date: 2026-12-08 00:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8b89e8daf728"
down_revision = "b8e4f1a7d352"
branch_labels = None
depends_on = None

#: the cart's most of one line (``orders.cart.MAX_QUANTITY`` when this was written)
MAX_QUANTITY = 99


def upgrade():
    # Lines stored twice (each an add) become one, the first, holding their quantities
    # added up within the cart's limit, before the rule becomes the table's.
    cart_items = sa.table(
        "cart_items",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("product_id", sa.Integer),
        sa.column("variant_id", sa.Integer),
        sa.column("quantity", sa.Integer),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(cart_items.c.id, cart_items.c.user_id, cart_items.c.product_id)
        .add_columns(cart_items.c.quantity)
        .where(cart_items.c.variant_id.is_(None))
        .order_by(cart_items.c.id)
    ).all()
    first: dict[tuple[int, int], list[int]] = {}
    for line_id, user_id, product_id, quantity in rows:
        kept = first.setdefault((user_id, product_id), [line_id, 0])
        kept[1] = min(kept[1] + quantity, MAX_QUANTITY)
        if kept[0] != line_id:
            connection.execute(sa.delete(cart_items).where(cart_items.c.id == line_id))
            connection.execute(
                sa.update(cart_items).where(cart_items.c.id == kept[0]).values(quantity=kept[1])
            )
    op.create_index(
        "uq_cart_items_user_id_product_id",
        "cart_items",
        ["user_id", "product_id"],
        unique=True,
        sqlite_where=sa.text("variant_id IS NULL"),
        postgresql_where=sa.text("variant_id IS NULL"),
    )


def downgrade():
    op.drop_index("uq_cart_items_user_id_product_id", table_name="cart_items")
