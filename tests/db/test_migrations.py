"""The migrations build exactly the schema the typed models describe, and go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from db.migrate import alembic_config, current_revision, head_revision, upgrade
from db.models import Base


def test_migrated_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    upgrade(engine, "head")
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"transactions", "customers", "rep_assignments", "rules", "entitlements"} <= tables
    assert "status" in {c["name"] for c in inspect(engine).get_columns("products")}
