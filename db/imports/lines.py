"""Writing transactions that carry their source's line id: a line seen before replaces its row
(a corrected quantity, another date) instead of adding a second one, an unchanged line is left
alone, and a cancelled line's row is removed. Keyed by the unique (source, line_id) index.

PostgreSQL: each chunk is COPied into a temporary table and merged with one
INSERT … ON CONFLICT DO UPDATE (by a worker thread, like TransactionWriter, so the next chunk is
read and checked meanwhile). SQLite: one executemany of the same upsert.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete

from db.imports.write import copy_rows, in_batches, table_of, timestamp_strings
from db.models import Transaction

_STAGED = ("customer_id", "product_id", "quantity", "amount", "occurred_at", "line_id")
_COMPARED = ("customer_id", "product_id", "quantity", "amount", "occurred_at")
_STAGING_TABLE = "recbot_staged_lines"


class LineWriter:
    """Upserts typed rows with a `line_id` column for one source; counts what it did."""

    def __init__(self, conn: Connection, source: str, batch_id: int | None = None) -> None:
        self.conn, self.source, self.batch_id = conn, source, batch_id
        self.postgres = conn.dialect.name == "postgresql"
        self.worker = ThreadPoolExecutor(max_workers=1) if self.postgres else None
        self.pending: Future | None = None
        self.staging_ready = False
        self.added = self.updated = self.unchanged = self.removed = 0

    def write(self, rows: pd.DataFrame) -> None:
        """Insert the new lines, replace the changed ones. A line twice in `rows`: the last wins."""
        self.wait()
        distinct = rows.drop_duplicates("line_id", keep="last")
        self.unchanged += len(rows) - len(distinct)  # superseded within the chunk
        if distinct.empty:
            return
        distinct = distinct.sort_values(["customer_id", "occurred_at"], kind="stable")
        if self.worker is not None:
            self.pending = self.worker.submit(self._upsert_postgres, distinct)
        else:
            self._count(*self._upsert_sqlite(distinct), len(distinct))

    def remove(self, line_ids: list[str]) -> None:
        """Delete the rows of these (cancelled) lines, where they exist."""
        self.wait()
        table = table_of(Transaction)
        for batch in in_batches(sorted(set(line_ids))):
            self.removed += self.conn.execute(
                delete(table).where(table.c.source == self.source, table.c.line_id.in_(batch))
            ).rowcount

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
        changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _COMPARED)
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COMPARED, "batch_id"))
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
        amount = rows["amount"].astype(object).where(rows["amount"].notna(), None)
        values = zip(
            rows["customer_id"].tolist(),
            rows["product_id"].tolist(),
            rows["quantity"].tolist(),
            amount.tolist(),
            timestamp_strings(rows["occurred_at"].to_numpy()).tolist(),
            line_ids,
            strict=True,
        )
        changed = " OR ".join(f"{c} IS NOT excluded.{c}" for c in _COMPARED)
        assignments = ", ".join(f"{c} = excluded.{c}" for c in (*_COMPARED, "batch_id"))
        raw: Any = self.conn.connection.dbapi_connection  # sqlite3's connection
        before = raw.total_changes
        raw.executemany(
            f"INSERT INTO transactions ({', '.join(_STAGED)}, batch_id, source) "
            f"VALUES ({', '.join('?' for _ in _STAGED)}, {self._literal_batch()}, ?) "
            "ON CONFLICT (source, line_id) WHERE line_id IS NOT NULL "
            f"DO UPDATE SET {assignments} WHERE {changed}",
            ((*row, self.source) for row in values),
        )
        written = raw.total_changes - before
        added = len(rows) - known
        return added, written - added

    def _literal_batch(self) -> str:
        return "NULL" if self.batch_id is None else str(int(self.batch_id))
