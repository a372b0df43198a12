"""Alembic from code: upgrade, and the check that the schema matches the code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import migrations
from core.errors import RecbotError


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine, auto_upgrade: bool) -> None:
    """Upgrade the embedded default database silently; refuse to run on any other stale schema."""
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return
    if auto_upgrade:
        upgrade(engine)
        return
    where = "is empty" if current is None else f"is at revision {current}"
    raise RecbotError(
        f"the database schema {where} but this recbot needs {head}: run `recbot db upgrade`"
    )
