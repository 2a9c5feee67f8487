"""The schema comes only from migrations, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, table, text

from marketplace.db import db, include_object


def test_models_and_migrations_agree():
    connection = db.session.connection()
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    assert compare_metadata(context, db.metadata) == []


def test_constraints_follow_the_naming_convention():
    inspector = inspect(db.session.connection())
    checks = {c["name"] for c in inspector.get_check_constraints("products")}
    assert {"ck_products_stock_not_negative", "ck_products_price_not_negative"} <= checks
    assert inspector.get_pk_constraint("products")["name"] in ("pk_products", None)  # SQLite


def test_stock_below_zero_is_refused_by_the_database():
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE products SET stock = -1 WHERE id = 1"))


def test_sqlite_runs_with_foreign_keys_and_wal():
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        assert connection.dialect.name == "postgresql"
        return
    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


#: the last revision before the migrations that rebuild tables other tables point at (the
#: forms' tokens on quotes, promotions and assistance records, the sweeps' unique names)
BEFORE_THE_TOKENS = "d4a9e6b1c375"


def test_migrating_an_sqlite_database_with_data_keeps_every_row(tmp_path, monkeypatch):
    """SQLite alters a table by building it anew and dropping the old one (Alembic's batch
    mode). With foreign keys on, the drop deleted the rows pointing at it: upgrading an
    instance with a quote lost the quote's lines. Down past those migrations and up again
    on a database holding the demo catalogue and a delivered, invoiced government order:
    every table holds the rows it held. SQLite's own file whatever the suite's database:
    PostgreSQL alters a table in place."""
    import flask_migrate

    from marketplace import create_app
    from marketplace.demo import load_demo
    from tests import factories
    from tests.conftest import app_settings

    instance = create_app(app_settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/pasar.db"))
    # The suite's session is bound to its own database; this one uses the instance's.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    with instance.app_context():
        flask_migrate.upgrade()
        load_demo(photo_size=instance.config["DEMO_PHOTO_SIZE"])
        factories.make_invoiced_gov_order()  # a quote, its lines, holds, documents, ledger
        db.session.commit()
        before = _rows_per_table()
        assert before["quote_lines"] > 0 and before["documents"] > 0
        db.session.remove()
        flask_migrate.downgrade(revision=BEFORE_THE_TOKENS)
        flask_migrate.upgrade()
        assert _rows_per_table() == before
        db.session.remove()
        db.engine.dispose()


def _rows_per_table() -> dict[str, int]:
    connection = db.session.connection()
    names = inspect(connection).get_table_names()
    return {
        name: connection.scalar(select(func.count()).select_from(table(name)))
        for name in names
        if name != "alembic_version"
    }
