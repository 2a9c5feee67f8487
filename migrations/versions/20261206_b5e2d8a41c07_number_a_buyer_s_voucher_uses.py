"""Number a buyer's uses of a voucher: the database refuses a use past the per-buyer limit

Revision ID: b5e2d8a41c07
Revises: b9e2f4a61c38
Create Date: 2026-12-06 14:50:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b5e2d8a41c07'
down_revision = 'b9e2f4a61c38'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('voucher_uses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('use_number', sa.Integer(), server_default='1', nullable=False))
    # uses recorded before: numbered 1, 2, ... per voucher and buyer, oldest first
    op.execute(
        "UPDATE voucher_uses SET use_number = (SELECT COUNT(*) FROM voucher_uses AS earlier "
        "WHERE earlier.voucher_id = voucher_uses.voucher_id "
        "AND earlier.buyer_key = voucher_uses.buyer_key AND earlier.id <= voucher_uses.id)"
    )
    with op.batch_alter_table('voucher_uses', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_voucher_uses_voucher_id_buyer_key_use_number'), ['voucher_id', 'buyer_key', 'use_number'])
        batch_op.create_check_constraint(batch_op.f('ck_voucher_uses_use_number_positive'), 'use_number >= 1')


def downgrade():
    with op.batch_alter_table('voucher_uses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_voucher_uses_use_number_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_voucher_uses_voucher_id_buyer_key_use_number'), type_='unique')
        batch_op.drop_column('use_number')
