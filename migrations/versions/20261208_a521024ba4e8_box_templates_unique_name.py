"""One gift-box template of a name in an office: saving twice at once made two

Revision ID: a521024ba4e8
Revises: 8b89e8daf728
Create Date: 2026-12-08 00:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a521024ba4e8"
down_revision = "8b89e8daf728"
branch_labels = None
depends_on = None

#: ``box_templates.name``'s length
NAME_LENGTH = 120


def _free_name(name: str, taken: set[str]) -> str:
    """``name (2)``, ``name (3)``...: the first not ``taken``, cut to fit the column."""
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: NAME_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def upgrade():
    # Templates already stored under a name their office used before keep their contents;
    # the later ones are renamed "name (2)", "name (3)" (the first keeps its name), so that
    # the office's names can be unique.
    templates = sa.table(
        "box_templates",
        sa.column("id", sa.Integer),
        sa.column("institution_id", sa.Integer),
        sa.column("name", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(templates.c.id, templates.c.institution_id, templates.c.name).order_by(
            templates.c.id
        )
    ).all()
    names: dict[int, set[str]] = {}
    for _id, institution_id, name in rows:
        names.setdefault(institution_id, set()).add(name)
    seen: set[tuple[int, str]] = set()
    for template_id, institution_id, name in rows:
        if (institution_id, name) not in seen:
            seen.add((institution_id, name))
            continue
        renamed = _free_name(name, names[institution_id])
        names[institution_id].add(renamed)
        seen.add((institution_id, renamed))
        connection.execute(
            sa.update(templates).where(templates.c.id == template_id).values(name=renamed)
        )
    # A unique index, not a constraint: SQLite would rebuild the table for a constraint, and
    # dropping the old table (foreign keys on) deletes the templates' lines (CASCADE).
    op.create_index(
        "uq_box_templates_institution_id_name",
        "box_templates",
        ["institution_id", "name"],
        unique=True,
    )


def downgrade():
    # The renamed templates keep their new names.
    op.drop_index("uq_box_templates_institution_id_name", table_name="box_templates")
