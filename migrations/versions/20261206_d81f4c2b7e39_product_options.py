"""Product options (rasa, ukuran) with their own price, stock, weight and photo; carts, order lines and holds name the option

Revision ID: d81f4c2b7e39
Revises: b5e2d8a41c07
Create Date: 2026-12-06 15:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd81f4c2b7e39'
down_revision = 'b5e2d8a41c07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('product_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('price_amount', sa.BigInteger(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('weight_grams', sa.Integer(), nullable=False),
    sa.Column('photo_key', sa.String(length=64), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_amount > 0', name=op.f('ck_product_variants_price_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_product_variants_stock_not_negative')),
    sa.CheckConstraint('weight_grams > 0', name=op.f('ck_product_variants_weight_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_variants_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_variants'))
    )
    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_variants_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('cart_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_cart_items_user_id_product_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_cart_items_user_id_product_id_variant_id'), ['user_id', 'product_id', 'variant_id'])
        batch_op.create_foreign_key(batch_op.f('fk_cart_items_variant_id_product_variants'), 'product_variants', ['variant_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('variant_label', sa.String(length=60), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_order_lines_variant_id_product_variants'), 'product_variants', ['variant_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('capacity_holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_capacity_holds_variant_id'), ['variant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_capacity_holds_variant_id_product_variants'), 'product_variants', ['variant_id'], ['id'])


def downgrade():
    with op.batch_alter_table('capacity_holds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_capacity_holds_variant_id_product_variants'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_capacity_holds_variant_id'))
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_lines_variant_id_product_variants'), type_='foreignkey')
        batch_op.drop_column('variant_label')
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('cart_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cart_items_variant_id_product_variants'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_cart_items_user_id_product_id_variant_id'), type_='unique')
        batch_op.create_unique_constraint('uq_cart_items_user_id_product_id', ['user_id', 'product_id'])
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('product_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_variants_product_id'))

    op.drop_table('product_variants')
