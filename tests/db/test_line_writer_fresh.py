"""LineWriter's fresh mode (a source with no rows stored yet: plain bulk inserts) against its
upsert path, on SQLite and PostgreSQL: the same rows and counts, and a line id met again in a
later chunk replaces its row (a fallback to the upsert, or on an empty PostgreSQL table the
deferred unique index's settling: tests/db/test_bulk_load.py)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, select

from db.imports.lines import LineWriter, has_lines
from db.models import Transaction


def typed(*lines: tuple[str, int, int, float, float | None, str]) -> pd.DataFrame:
    """Rows as the writer gets them: (line_id, customer, product, quantity, amount, when)."""
    return pd.DataFrame(
        {
            "line_id": np.array([line[0] for line in lines], dtype=object),
            "customer_id": np.array([line[1] for line in lines], dtype=np.int64),
            "product_id": np.array([line[2] for line in lines], dtype=np.int64),
            "quantity": np.array([line[3] for line in lines], dtype=float),
            "amount": np.array([np.nan if line[4] is None else line[4] for line in lines]),
            "occurred_at": np.array([line[5] for line in lines], dtype="datetime64[us]"),
        }
    )


FIRST = typed(
    ("L1", 1, 10, 2.0, 11.0, "2026-01-05T10:00"),
    ("L2", 2, 11, 1.0, None, "2026-01-06T11:30"),
    ("L3", 1, 11, 3.0, 4.5, "2026-01-04T09:00"),
)
# L1 again with another quantity, and two new lines.
SECOND = typed(
    ("L4", 2, 10, 5.0, 7.5, "2026-01-08T08:00"),
    ("L1", 1, 10, 4.0, 22.0, "2026-01-05T10:00"),
    ("L5", 3, 12, 1.0, None, "2026-01-09T12:00"),
)


def stored(engine: Engine, source: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Transaction.line_id,
                Transaction.customer_id,
                Transaction.product_id,
                Transaction.quantity,
                Transaction.amount,
                Transaction.occurred_at,
                Transaction.batch_id,
            ).where(Transaction.source == source)
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def write(engine: Engine, source: str, fresh: bool, *chunks: pd.DataFrame) -> tuple:
    with engine.begin() as conn:
        with LineWriter(conn, source, batch_id=7, fresh=fresh) as writer:
            for chunk in chunks:
                writer.write(chunk.copy())
                writer.wait()
            writer.finish()
        still_fresh = writer.fresh
    return writer.added, writer.updated, writer.unchanged, still_fresh


def test_fresh_inserts_give_the_rows_and_counts_of_the_upsert(engine: Engine) -> None:
    fresh = write(engine, "bulk", True, FIRST)
    upserted = write(engine, "upsert", False, FIRST)

    assert fresh == (3, 0, 0, True)
    assert upserted == (3, 0, 0, False)
    assert stored(engine, "bulk") == stored(engine, "upsert")
    assert stored(engine, "bulk")["L2"] == (2, 11, 1.0, None, datetime(2026, 1, 6, 11, 30), 7)


def test_a_line_id_met_again_falls_back_to_the_upsert(engine: Engine) -> None:
    fresh = write(engine, "bulk", True, FIRST, SECOND)
    upserted = write(engine, "upsert", False, FIRST, SECOND)

    # On PostgreSQL the first writer loads an empty table without its unique index (a line id
    # met again is settled at the end, db/imports/bulk_load.py); elsewhere it falls back.
    assert fresh[:3] == upserted[:3] == (5, 1, 0)  # L1 replaced, not doubled
    rows = stored(engine, "bulk")
    assert rows == stored(engine, "upsert")
    assert sorted(rows) == ["L1", "L2", "L3", "L4", "L5"]
    assert rows["L1"][2:4] == (4.0, 22.0)


def test_fresh_mode_on_a_stored_source_changes_nothing_it_should_not(engine: Engine) -> None:
    write(engine, "erp", False, FIRST)
    with engine.connect() as conn:
        assert has_lines(conn, "erp")
        assert not has_lines(conn, "other")
    before = stored(engine, "erp")

    # A writer wrongly told the source is fresh: the first chunk's COPY meets stored lines,
    # rolls back to its savepoint and upserts instead.
    result = write(engine, "erp", True, FIRST)

    assert result == (0, 0, 3, False)
    assert stored(engine, "erp") == before


def with_arrow_line_ids(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as a sync's Arrow reader hands them over: line ids in an Arrow array."""
    line_ids = pa.array(rows["line_id"].tolist(), pa.large_string())
    return rows.assign(line_id=pd.Series(pd.arrays.ArrowExtensionArray(line_ids)))


# L2 twice in one chunk (its last row wins) and L1 again from the first chunk.
REPEATED = typed(
    ("L2", 2, 11, 6.0, None, "2026-01-06T11:30"),
    ("L1", 1, 10, 9.0, 1.0, "2026-01-05T10:00"),
    ("L2", 2, 11, 7.0, 3.0, "2026-01-06T11:30"),
)


def test_arrow_line_ids_give_the_rows_and_counts_of_python_ones(engine: Engine) -> None:
    as_python = write(engine, "python", True, FIRST, REPEATED)
    as_arrow = write(
        engine, "arrow", True, with_arrow_line_ids(FIRST), with_arrow_line_ids(REPEATED)
    )

    # (added, updated, unchanged); L2's first row in its chunk is superseded: unchanged
    assert as_arrow[:3] == as_python[:3] == (3, 2, 1)
    assert stored(engine, "arrow") == stored(engine, "python")
    assert stored(engine, "arrow")["L2"][2:4] == (7.0, 3.0)
