"""Turn approved quotes into invoiced orders with their documents

Revision ID: e83d45b26d20
Revises: 2d4a21c0fa5d
Create Date: 2026-11-29 04:45:58.469314


A government order is "invoiced" (paid after delivery) and its household parts are
also "produced" and "packed": the status checks of orders and order_parts widen.
"""
from alembic import op
import sqlalchemy as sa

OLD_ORDER = "'awaiting_payment', 'paid', 'expired', 'refunded'"
NEW_ORDER = OLD_ORDER + ", 'invoiced'"
OLD_PART = "'pending', 'new', 'accepted', 'shipped', 'ready_for_pickup', 'delivered', 'cancelled'"
NEW_PART = OLD_PART + ", 'produced', 'packed'"


def _checks(order_values: str, part_values: str) -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_known_status'), type_='check')
        batch_op.create_check_constraint('known_status', f"status IN ({order_values})")
    with op.batch_alter_table('order_parts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_parts_known_status'), type_='check')
        batch_op.create_check_constraint('known_status', f"status IN ({part_values})")


# revision identifiers, used by Alembic.
revision = 'e83d45b26d20'
down_revision = '2d4a21c0fa5d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gov_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('confirm_by', sa.Date(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('replaced_by_part_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('received_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_gov_parts_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['order_parts.id'], name=op.f('fk_gov_parts_part_id_order_parts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_gov_parts_received_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_part_id'], ['order_parts.id'], name=op.f('fk_gov_parts_replaced_by_part_id_order_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_parts')),
    sa.UniqueConstraint('part_id', name=op.f('uq_gov_parts_part_id'))
    )
    with op.batch_alter_table('gov_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_parts_order_id'), ['order_id'], unique=False)

    op.create_table('gov_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('total_amount', sa.BigInteger(), nullable=False),
    sa.Column('pph22_amount', sa.BigInteger(), nullable=False),
    sa.Column('payable_amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'paid')", name=op.f('ck_gov_invoices_known_status')),
    sa.CheckConstraint('paid_amount <= payable_amount', name=op.f('ck_gov_invoices_paid_within_payable')),
    sa.CheckConstraint('paid_amount >= 0', name=op.f('ck_gov_invoices_paid_not_negative')),
    sa.CheckConstraint('payable_amount = total_amount - pph22_amount', name=op.f('ck_gov_invoices_payable_is_net')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_gov_invoices_document_id_documents')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_gov_invoices_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_invoices')),
    sa.UniqueConstraint('order_id', name=op.f('uq_gov_invoices_order_id'))
    )
    op.create_table('received_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('quantity_received', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity_received >= 0', name=op.f('ck_received_lines_received_not_negative')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_received_lines_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['order_parts.id'], name=op.f('fk_received_lines_part_id_order_parts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_received_lines')),
    sa.UniqueConstraint('order_line_id', name=op.f('uq_received_lines_order_line_id'))
    )
    with op.batch_alter_table('received_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_lines_part_id'), ['part_id'], unique=False)

    op.create_table('gov_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('transfer', 'card')", name=op.f('ck_gov_payments_known_method')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_gov_payments_amount_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['gov_invoices.id'], name=op.f('fk_gov_payments_invoice_id_gov_invoices')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_gov_payments_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_payments')),
    sa.UniqueConstraint('method', 'reference', name=op.f('uq_gov_payments_method_reference'))
    )
    with op.batch_alter_table('gov_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_payments_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('part_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_documents_order_id'), ['order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_documents_part_id_order_parts'), 'order_parts', ['part_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_documents_order_id_orders'), 'orders', ['order_id'], ['id'])

    _checks(NEW_ORDER, NEW_PART)


def downgrade():
    _checks(OLD_ORDER, OLD_PART)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_documents_order_id_orders'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_documents_part_id_order_parts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_documents_order_id'))
        batch_op.drop_column('reason')
        batch_op.drop_column('part_id')
        batch_op.drop_column('order_id')

    with op.batch_alter_table('gov_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gov_payments_invoice_id'))

    op.drop_table('gov_payments')
    with op.batch_alter_table('received_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_lines_part_id'))

    op.drop_table('received_lines')
    op.drop_table('gov_invoices')
    with op.batch_alter_table('gov_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gov_parts_order_id'))

    op.drop_table('gov_parts')
