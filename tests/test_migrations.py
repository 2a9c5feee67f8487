"""The schema comes only from migrations, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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
