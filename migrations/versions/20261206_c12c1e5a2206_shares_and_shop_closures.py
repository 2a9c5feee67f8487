"""Count visits and sales through households' shared links; let a household close its shop for a holiday

Revision ID: c12c1e5a2206
Revises: a7c3e9d41f20
Create Date: 2026-12-06 11:14:32.471440

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c12c1e5a2206'
down_revision = 'a7c3e9d41f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('share_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_share_visits_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_visits')),
    sa.UniqueConstraint('seller_id', 'visitor_key', 'window_start', name=op.f('uq_share_visits_seller_id_visitor_key_window_start'))
    )
    with op.batch_alter_table('share_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_visits_created_at'), ['created_at'], unique=False)

    op.create_table('shop_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_shop_closures_ends_after_start')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_shop_closures_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_closures'))
    )
    with op.batch_alter_table('shop_closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_closures_seller_id'), ['seller_id'], unique=False)

    op.create_table('share_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('order_part_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_part_id'], ['order_parts.id'], name=op.f('fk_share_sales_order_part_id_order_parts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_share_sales_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_sales')),
    sa.UniqueConstraint('order_part_id', name=op.f('uq_share_sales_order_part_id'))
    )
    with op.batch_alter_table('share_sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_sales_seller_id'), ['seller_id'], unique=False)



def downgrade():
    with op.batch_alter_table('share_sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_sales_seller_id'))

    op.drop_table('share_sales')
    with op.batch_alter_table('shop_closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_closures_seller_id'))

    op.drop_table('shop_closures')
    with op.batch_alter_table('share_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_visits_created_at'))

    op.drop_table('share_visits')
