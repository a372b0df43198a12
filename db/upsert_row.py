"""One row written or replaced in a single statement: INSERT … ON CONFLICT DO UPDATE.

Atomic on SQLite and PostgreSQL, so two writers at once both succeed (the later one wins)
instead of one of them hitting a unique violation and retrying, or giving up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


def upsert_row(
    conn: Connection,
    model: type[DeclarativeBase],
    keys: dict[str, Any],
    values: dict[str, Any],
    insert_only: dict[str, Any] | None = None,
) -> None:
    """Insert `keys` + `values` (+ `insert_only`), or update `values` where `keys` exist."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    if conn.dialect.name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"upsert on {conn.dialect.name}")
    statement = dialect.insert(model).values(**keys, **(insert_only or {}), **values)
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=values))
