"""One shop application under review per person: two sent at once were both kept

Revision ID: a65766f5bf02
Revises: a521024ba4e8
Create Date: 2026-12-08 01:00:00.000000

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a65766f5bf02"
down_revision = "a521024ba4e8"
branch_labels = None
depends_on = None


def upgrade():
    # A person's applications under review together are twins (the rule was one at a time):
    # the latest, the one the applicant's page shows, stays under review; the earlier ones
    # are closed as rejected, by no one, each move recorded as every decision is.
    applications = sa.table(
        "seller_applications",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("decided_at", sa.DateTime(timezone=True)),
    )
    changes = sa.table(
        "seller_application_changes",
        sa.column("application_id", sa.Integer),
        sa.column("from_status", sa.String),
        sa.column("to_status", sa.String),
        sa.column("actor_id", sa.Integer),
        sa.column("note", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    pending = connection.execute(
        sa.select(applications.c.id, applications.c.user_id)
        .where(applications.c.status == "pending")
        .order_by(applications.c.id.desc())
    ).all()
    now = dt.datetime.now(dt.UTC)
    latest: set[int] = set()
    for application_id, user_id in pending:
        if user_id not in latest:
            latest.add(user_id)
            continue
        connection.execute(
            sa.update(applications)
            .where(applications.c.id == application_id)
            .values(status="rejected", decided_at=now)
        )
        connection.execute(
            sa.insert(changes).values(
                application_id=application_id,
                from_status="pending",
                to_status="rejected",
                actor_id=None,
                note="",
                created_at=now,
            )
        )
    op.create_index(
        "uq_seller_applications_user_id_pending",
        "seller_applications",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade():
    # The twins closed stay closed.
    op.drop_index("uq_seller_applications_user_id_pending", table_name="seller_applications")
