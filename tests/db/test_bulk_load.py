"""A first load into an empty `transactions` table on PostgreSQL: its secondary indexes are
dropped for the load and built at the end, in the same database transaction, and the rows and
counts come out as the upsert path gives them (db/imports/bulk_load.py)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from db.imports.bulk_load import secondary_indexes
from db.imports.lines import LineWriter
from db.models import Base
from tests.db.test_line_writer_fresh import FIRST, SECOND, stored, typed

INDEXES = sorted(str(index.name) for index in secondary_indexes())


pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (CI always sets it)"
)


@pytest.fixture
def postgres(postgres_engine: Engine) -> Engine:
    """The PostgreSQL test database, emptied (SQLite loads with its own bulk path)."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with postgres_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return postgres_engine


def indexes(conn: Connection) -> list[str]:
    names = conn.execute(
        text("SELECT indexname FROM pg_indexes WHERE tablename = 'transactions'")
    ).scalars()
    return sorted(name for name in names if name != "pk_transactions")


def run(engine: Engine, source: str, steps: list) -> tuple[tuple, list[str]]:
    """Write chunks (DataFrames) and cancellations (lists of line ids) in order; the counts and
    the indexes seen while loading."""
    with engine.begin() as conn, LineWriter(conn, source, batch_id=1, fresh=True) as writer:
        for step in steps:
            if isinstance(step, pd.DataFrame):
                writer.write(step.copy())
            else:
                writer.remove(step)
            writer.wait()
        during = indexes(conn)
        writer.finish()
    return (writer.added, writer.updated, writer.unchanged, writer.removed), during


def test_an_empty_table_is_loaded_without_indexes_and_gets_them_all_back(postgres: Engine) -> None:
    counts, during = run(postgres, "erp", [FIRST])

    assert during == []
    assert counts == (3, 0, 0, 0)
    with postgres.connect() as conn:
        assert indexes(conn) == INDEXES
        valid = conn.execute(
            text(
                "SELECT bool_and(indisvalid AND indisready) FROM pg_index "
                "WHERE indrelid = 'transactions'::regclass"
            )
        ).scalar()
    assert valid


def test_a_table_with_rows_keeps_its_indexes_while_loading(postgres: Engine) -> None:
    run(postgres, "other", [FIRST])

    _, during = run(postgres, "erp", [FIRST])

    assert during == INDEXES


def test_deferred_indexes_give_the_rows_and_counts_of_the_upsert(postgres: Engine) -> None:
    again = typed(("L1", 1, 10, 2.0, 11.0, "2026-01-05T10:00"))  # L1 once more, unchanged
    revived = typed(("L2", 2, 11, 6.0, None, "2026-01-07T11:30"))
    steps = [FIRST, SECOND, again, ["L2", "L3", "L9"], revived]

    deferred, during = run(postgres, "deferred", steps)
    upserted, _ = run(postgres, "upserted", steps)  # the table is not empty any more

    assert during == []
    assert deferred == upserted
    assert deferred == (6, 2, 0, 2)  # L1 changed twice; L2 and L3 removed, then L2 back
    rows = stored(postgres, "deferred")
    assert rows == stored(postgres, "upserted")
    assert sorted(rows) == ["L1", "L2", "L4", "L5"]
    assert rows["L1"][2] == 2.0 and rows["L2"][2] == 6.0


def test_an_identical_line_met_again_counts_as_unchanged(postgres: Engine) -> None:
    counts, _ = run(postgres, "erp", [FIRST, FIRST.iloc[:1]])

    assert counts == (3, 0, 1, 0)
    assert len(stored(postgres, "erp")) == 3


def test_a_failed_load_leaves_the_table_and_its_indexes_as_they_were(postgres: Engine) -> None:
    with (
        pytest.raises(RuntimeError),
        postgres.begin() as conn,
        LineWriter(conn, "erp", batch_id=1, fresh=True) as writer,
    ):
        writer.write(FIRST.copy())
        writer.wait()
        assert indexes(conn) == []
        raise RuntimeError("the source went away")

    with postgres.connect() as conn:
        assert indexes(conn) == INDEXES
    assert stored(postgres, "erp") == {}
