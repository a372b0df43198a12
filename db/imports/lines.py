"""Writing transactions that carry their source's line id: a line seen before replaces its row
(a corrected quantity, another date) instead of adding a second one, an unchanged line is left
alone, and a cancelled line's row is removed. Keyed by the unique (source, line_id) index.

PostgreSQL: each chunk is COPied into a temporary table and merged with one
INSERT … ON CONFLICT DO UPDATE (by a worker thread, like TransactionWriter, so the next chunk is
read and checked meanwhile). SQLite: one executemany of the same upsert.

A writer made with `fresh=True` (the source has no rows in the store yet, e.g. its first full
sync) inserts each chunk straight into transactions — COPY on PostgreSQL, a plain executemany on
SQLite — under a savepoint: no staging table, no conflict probes, the speed of a bulk import. A
line id met again in a later chunk (the unique index refuses the chunk) rolls back to that
savepoint, and this chunk and every later one take the upsert path, so the rows come out the
same either way. When `transactions` holds no row at all (PostgreSQL), its secondary indexes are
also dropped for the load and built again by `finish()` (db/imports/bulk_load.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from db.imports.bulk_load import DeferredIndexes, table_is_empty
from db.imports.write import COMPARED_COLUMNS, copy_rows, in_batches, sqlite_values, table_of
from db.models import Transaction

_STAGED = ("customer_id", "product_id", "quantity", "amount", "occurred_at", "line_id")
_STAGING_TABLE = "recbot_staged_lines"
_INSERTED = (*_STAGED, "batch_id", "source")


def has_lines(conn: Connection, source: str) -> bool:
    """Whether the store holds any line of `source` (the unique index answers)."""
    table = table_of(Transaction)
    found = conn.execute(
        select(table.c.id).where(table.c.source == source, table.c.line_id.is_not(None)).limit(1)
    ).first()
    return found is not None


def _last_of_each_line(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` without the earlier rows of a line id met twice. Arrow-backed line ids are
    counted by Arrow first: nearly always all distinct, and then nothing is to be dropped."""
    line_ids = rows["line_id"]
    arrow = isinstance(line_ids.dtype, pd.ArrowDtype)
    if arrow and pc.count_distinct(pa.array(line_ids.array)).as_py() == len(rows):
        return rows
    return rows.drop_duplicates("line_id", keep="last")


class LineWriter:
    """Upserts typed rows with a `line_id` column for one source; counts what it did."""

    def __init__(
        self, conn: Connection, source: str, batch_id: int | None = None, *, fresh: bool = False
    ) -> None:
        self.conn, self.source, self.batch_id = conn, source, batch_id
        self.fresh = fresh  # no row of this source stored yet: insert without upserting
        self.postgres = conn.dialect.name == "postgresql"
        self.worker = ThreadPoolExecutor(max_workers=1) if self.postgres else None
        self.pending: Future | None = None
        self.staging_ready = False
        self.added = self.updated = self.unchanged = self.removed = 0
        self.deferred = (
            DeferredIndexes(conn, source)
            if fresh and self.postgres and table_is_empty(conn)
            else None
        )

    def write(self, rows: pd.DataFrame) -> None:
        """Insert the new lines, replace the changed ones. A line twice in `rows`: the last wins."""
        self.wait()
        distinct = _last_of_each_line(rows)
        self.unchanged += len(rows) - len(distinct)  # superseded within the chunk
        if distinct.empty:
            return
        distinct = distinct.sort_values(["customer_id", "occurred_at"], kind="stable")
        if self.worker is not None:
            self.pending = self.worker.submit(self._write_postgres, distinct)
        else:
            self._count(*self._write_sqlite(distinct), len(distinct))

    def remove(self, line_ids: list[str]) -> None:
        """Delete the rows of these (cancelled) lines, where they exist."""
        self.wait()
        if self.deferred is not None:
            self.deferred.cancel(sorted(set(line_ids)))
            return
        table = table_of(Transaction)
        for batch in in_batches(sorted(set(line_ids))):
            self.removed += self.conn.execute(
                delete(table).where(table.c.source == self.source, table.c.line_id.in_(batch))
            ).rowcount

    def finish(self) -> None:
        """After the last chunk: with deferred indexes, apply what they would have done (a line
        id's last row stays, cancelled lines go) and build them."""
        self.wait()
        if self.deferred is not None:
            removed, changed, unchanged = self.deferred.finish()
            self.deferred = None
            self.removed += removed
            self.added -= changed + unchanged
            self.updated += changed
            self.unchanged += unchanged

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self._count(*pending.result())

    def _count(self, added: int, updated: int, total: int) -> None:
        self.added += added
        self.updated += updated
        self.unchanged += total - added - updated

    def __enter__(self) -> LineWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.wait()
        finally:
            if self.worker is not None:
                self.worker.shutdown()

    def _write_postgres(self, rows: pd.DataFrame) -> tuple[int, int, int]:
        if self.fresh and self._insert_new(rows, self._copy_new):
            return len(rows), 0, len(rows)
        return self._upsert_postgres(rows)

    def _write_sqlite(self, rows: pd.DataFrame) -> tuple[int, int]:
        if self.fresh and self._insert_new(rows, self._executemany_new):
            return len(rows), 0
        return self._upsert_sqlite(rows)

    def _insert_new(self, rows: pd.DataFrame, insert: Callable[[pd.DataFrame], None]) -> bool:
        """Insert `rows` as new lines under a savepoint; False (and nothing written) when one of
        their line ids is already stored, which ends the fresh mode."""
        savepoint = self.conn.begin_nested()
        try:
            insert(rows)
        except (IntegrityError, self.conn.dialect.loaded_dbapi.IntegrityError):  # raw COPY too
            savepoint.rollback()
            self.fresh = False
            return False
        savepoint.commit()
        return True

    def _copy_new(self, rows: pd.DataFrame) -> None:
        typed = rows.assign(batch_id=self.batch_id, source=self.source)
        copy_rows(self.conn, "transactions", typed, _INSERTED)

    def _executemany_new(self, rows: pd.DataFrame) -> None:
        raw: Any = self.conn.connection.dbapi_connection  # sqlite3's connection
        raw.executemany(
            f"INSERT INTO transactions ({', '.join(_INSERTED)}) "
            f"VALUES ({', '.join('?' for _ in _INSERTED)})",
            self._sqlite_values(rows),
        )

    def _sqlite_values(self, rows: pd.DataFrame) -> Iterator[tuple]:
        return sqlite_values(rows.assign(batch_id=self.batch_id, source=self.source), _INSERTED)

    def _upsert_postgres(self, rows: pd.DataFrame) -> tuple[int, int, int]:
        if not self.staging_ready:
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING_TABLE} (customer_id integer, "
                "product_id integer, quantity double precision, amount double precision, "
                "occurred_at timestamp, line_id varchar(128)) ON COMMIT DROP"
            )
            self.staging_ready = True
        self.conn.exec_driver_sql(f"TRUNCATE {_STAGING_TABLE}")
        copy_rows(self.conn, _STAGING_TABLE, rows, _STAGED)
        changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in COMPARED_COLUMNS)
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*COMPARED_COLUMNS, "batch_id"))
        columns = ", ".join(_STAGED)
        added, updated = self.conn.exec_driver_sql(
            f"WITH merged AS (INSERT INTO transactions AS t ({columns}, batch_id, source) "
            f"SELECT {columns}, CAST(%(batch_id)s AS integer), CAST(%(source)s AS varchar) "
            f"FROM {_STAGING_TABLE} "
            "ON CONFLICT (source, line_id) WHERE line_id IS NOT NULL "
            f"DO UPDATE SET {assignments} WHERE {changed} "
            "RETURNING (xmax = 0) AS added) "
            "SELECT count(*) FILTER (WHERE added), count(*) FILTER (WHERE NOT added) FROM merged",
            {"batch_id": self.batch_id, "source": self.source},
        ).one()
        return int(added), int(updated), len(rows)

    def _upsert_sqlite(self, rows: pd.DataFrame) -> tuple[int, int]:
        line_ids = rows["line_id"].tolist()
        table = table_of(Transaction)
        known = 0
        for batch in in_batches(line_ids):
            known += len(
                self.conn.execute(
                    table.select()
                    .with_only_columns(table.c.id)
                    .where(table.c.source == self.source, table.c.line_id.in_(batch))
                ).all()
            )
        changed = " OR ".join(f"{c} IS NOT excluded.{c}" for c in COMPARED_COLUMNS)
        assignments = ", ".join(f"{c} = excluded.{c}" for c in (*COMPARED_COLUMNS, "batch_id"))
        raw: Any = self.conn.connection.dbapi_connection  # sqlite3's connection
        before = raw.total_changes
        raw.executemany(
            f"INSERT INTO transactions ({', '.join(_INSERTED)}) "
            f"VALUES ({', '.join('?' for _ in _INSERTED)}) "
            "ON CONFLICT (source, line_id) WHERE line_id IS NOT NULL "
            f"DO UPDATE SET {assignments} WHERE {changed}",
            self._sqlite_values(rows),
        )
        written = raw.total_changes - before
        added = len(rows) - known
        return added, written - added
