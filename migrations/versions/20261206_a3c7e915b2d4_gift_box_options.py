"""Gift boxes by option: a quote's line and a box template's line name the option (rasa, ukuran) chosen

Revision ID: a3c7e915b2d4
Revises: 8b3f6d2a9c41
Create Date: 2026-12-06 16:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a3c7e915b2d4'
down_revision = '8b3f6d2a9c41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('variant_label', sa.String(length=60), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_quote_lines_variant_id_product_variants'), 'product_variants', ['variant_id'], ['id'])

    with op.batch_alter_table('box_template_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_box_template_lines_variant_id_product_variants'), 'product_variants', ['variant_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('box_template_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_box_template_lines_variant_id_product_variants'), type_='foreignkey')
        batch_op.drop_column('variant_id')

    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quote_lines_variant_id_product_variants'), type_='foreignkey')
        batch_op.drop_column('variant_label')
        batch_op.drop_column('variant_id')
