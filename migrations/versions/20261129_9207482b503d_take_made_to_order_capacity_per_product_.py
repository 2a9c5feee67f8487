"""Take made-to-order capacity per product and production day

The rows were per household with one capacity from a setting; now per product with the
listing's daily capacity. The table only counts: it is rebuilt from the order lines that
still hold their units (orders awaiting payment or paid, parts not cancelled).

Revision ID: 9207482b503d
Revises: 02517dbb80de
Create Date: 2026-11-29 04:51:55.225140

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9207482b503d'
down_revision = '02517dbb80de'
branch_labels = None
depends_on = None


def _create(owner: str, target: str) -> None:
    op.create_table('production_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column(f'{owner}_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('units_capacity', sa.Integer(), nullable=False),
    sa.Column('units_taken', sa.Integer(), nullable=False),
    sa.CheckConstraint('units_taken <= units_capacity', name=op.f('ck_production_days_within_capacity')),
    sa.CheckConstraint('units_taken >= 0', name=op.f('ck_production_days_taken_not_negative')),
    sa.ForeignKeyConstraint([f'{owner}_id'], [f'{target}.id'], name=op.f(f'fk_production_days_{owner}_id_{target}'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_days')),
    sa.UniqueConstraint(f'{owner}_id', 'day', name=op.f(f'uq_production_days_{owner}_id_day'))
    )


_HOLDING = """
    FROM order_lines
    JOIN order_parts ON order_parts.id = order_lines.part_id
    JOIN orders ON orders.id = order_parts.order_id
    JOIN products ON products.id = order_lines.product_id
    WHERE order_lines.production_day IS NOT NULL
      AND orders.status IN ('awaiting_payment', 'paid')
      AND order_parts.status <> 'cancelled'
"""


def upgrade():
    op.drop_table('production_days')
    _create('product', 'products')
    op.execute(
        "INSERT INTO production_days (product_id, day, units_capacity, units_taken) "
        "SELECT order_lines.product_id, order_lines.production_day, "
        "CASE WHEN COALESCE(MAX(products.daily_capacity), 0) > SUM(order_lines.quantity) "
        "THEN COALESCE(MAX(products.daily_capacity), 0) ELSE SUM(order_lines.quantity) END, "
        "SUM(order_lines.quantity)" + _HOLDING +
        "GROUP BY order_lines.product_id, order_lines.production_day"
    )


def downgrade():
    op.drop_table('production_days')
    _create('seller', 'sellers')
    op.execute(
        "INSERT INTO production_days (seller_id, day, units_capacity, units_taken) "
        "SELECT order_parts.seller_id, order_lines.production_day, "
        "CASE WHEN SUM(order_lines.quantity) > 10 THEN SUM(order_lines.quantity) ELSE 10 END, "
        "SUM(order_lines.quantity)" + _HOLDING +
        "GROUP BY order_parts.seller_id, order_lines.production_day"
    )
