"""Push the catalogue version to every web process: PostgreSQL NOTIFY on each change

Any UPDATE of catalog_state (the ORM's bump, a Core UPDATE, an operator's psql) notifies
the channel ``catalog_version`` at commit; each process's page cache listens
(``pagecache.VersionFeed``) instead of reading the version on every cached hit.

Revision ID: a7c3e9d41f20
Revises: 5b1e0c7d2a94
Create Date: 2026-12-06 11:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9d41f20"
down_revision = "5b1e0c7d2a94"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION notify_catalog_version() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('catalog_version', NEW.version::text);
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER catalog_version_notify AFTER UPDATE ON catalog_state "
        "FOR EACH ROW EXECUTE FUNCTION notify_catalog_version()"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS catalog_version_notify ON catalog_state")
    op.execute("DROP FUNCTION IF EXISTS notify_catalog_version()")
