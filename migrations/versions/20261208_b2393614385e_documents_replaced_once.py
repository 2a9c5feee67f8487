"""A document is replaced once: two corrections sent at once issued two

Revision ID: b2393614385e
Revises: 48423d7c68b6
Create Date: 2026-12-08 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2393614385e"
down_revision = "48423d7c68b6"
branch_labels = None
depends_on = None


def upgrade():
    # A document already replaced twice (two corrections at once) keeps both corrections:
    # the later one now replaces the earlier, so that each is replaced once and the newest
    # is the one in force. Their PDFs stay as issued (each names the document it corrected).
    documents = sa.table(
        "documents", sa.column("id", sa.Integer), sa.column("replaces_id", sa.Integer)
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(documents.c.id, documents.c.replaces_id)
        .where(documents.c.replaces_id.is_not(None))
        .order_by(documents.c.id)
    ).all()
    replaced_by: dict[int, int] = {}
    for document_id, replaces_id in rows:
        tip = replaces_id
        while tip in replaced_by:
            tip = replaced_by[tip]
        if tip != replaces_id:
            connection.execute(
                sa.update(documents).where(documents.c.id == document_id).values(replaces_id=tip)
            )
        replaced_by[tip] = document_id
    # An index, not a constraint: SQLite would rebuild the table, which others refer to.
    op.create_index(op.f("ix_documents_replaces_id"), "documents", ["replaces_id"], unique=True)


def downgrade():
    # The corrections chained stay chained.
    op.drop_index(op.f("ix_documents_replaces_id"), table_name="documents")
