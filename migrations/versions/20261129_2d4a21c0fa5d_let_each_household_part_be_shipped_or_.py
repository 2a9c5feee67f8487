"""Let each household part be shipped or collected

A buyer in a household's kabupaten/kota may collect that household's part while other
parts of the same order are shipped. Parts of orders that were all collected become
"pickup"; a collected part carries no shipping.

Revision ID: 2d4a21c0fa5d
Revises: 794287ef646c
Create Date: 2026-11-29 04:59:00.995717

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d4a21c0fa5d'
down_revision = '794287ef646c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_parts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), server_default='ship', nullable=False))
    op.execute(
        "UPDATE order_parts SET delivery = 'pickup' "
        "WHERE order_id IN (SELECT id FROM orders WHERE delivery = 'pickup')"
    )
    with op.batch_alter_table('order_parts', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_order_parts_known_delivery'), "delivery IN ('ship', 'pickup')"
        )
        batch_op.create_check_constraint(
            op.f('ck_order_parts_pickup_ships_free'), "delivery = 'ship' OR shipping_amount = 0"
        )


def downgrade():
    with op.batch_alter_table('order_parts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_parts_pickup_ships_free'), type_='check')
        batch_op.drop_constraint(op.f('ck_order_parts_known_delivery'), type_='check')
        batch_op.drop_column('delivery')
