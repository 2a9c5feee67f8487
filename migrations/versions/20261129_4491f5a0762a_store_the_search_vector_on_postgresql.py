"""Store the search vector on PostgreSQL, so a search does not re-tokenise every match.

Revision ID: 4491f5a0762a
Revises: eb52eae524eb
Create Date: 2026-11-29 04:04:00

The GIN index was on an expression: every match was tokenised again to check it and
once more to rank it. A stored generated column is computed once per write. SQLite
keeps its FTS5 table and has nothing to do here.
"""
from alembic import op


revision = '4491f5a0762a'
down_revision = 'eb52eae524eb'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE products ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
    )
    op.execute("DROP INDEX IF EXISTS ix_products_search")
    op.execute("CREATE INDEX ix_products_search ON products USING gin (search_vector)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_products_search")
    op.execute("ALTER TABLE products DROP COLUMN search_vector")
    op.execute(
        "CREATE INDEX ix_products_search ON products "
        "USING gin (to_tsvector('simple'::regconfig, search_text))"
    )
