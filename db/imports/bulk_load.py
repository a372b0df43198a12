"""Loading lines into an empty `transactions` table on PostgreSQL with its indexes built once at
the end, inside the same database transaction.

Keeping the per-customer and (source, line_id) B-trees up to date row by row is most of what
PostgreSQL spends on a big COPY (bench/RESULTS.md, "Sync": 6.5 s per million rows with every
index, 2.1 s with only the primary key); building them from the loaded rows takes a sort each.
Dropping an index locks the table against readers until the commit, so this is done only when
the table holds no row at all: a first sync into a new store, where there is nothing to read.

Without the unique index, what it used to do is done at the end: a line id met twice keeps its
last row (the later chunk), and a cancelled line's rows written before the cancellation are
removed.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Index, select
from sqlalchemy.exc import IntegrityError

from db.imports.write import COMPARED_COLUMNS, copy_rows, table_of
from db.models import Transaction

_CANCELLED_TABLE = "recbot_cancelled_lines"
_MAINTENANCE_MEMORY = "256MB"  # per index build, in the server (its default is 64MB)


def table_is_empty(conn: Connection) -> bool:
    table = table_of(Transaction)
    return conn.execute(select(table.c.id).limit(1)).first() is None


def secondary_indexes() -> list[Index]:
    """Every index of `transactions` but its primary key, as the schema defines them."""
    return sorted(table_of(Transaction).indexes, key=lambda index: str(index.name))


class DeferredIndexes:
    """The secondary indexes of an empty `transactions` table, dropped for one load and built
    again by `finish` (a failure before that rolls back with the transaction, indexes included)."""

    def __init__(self, conn: Connection, source: str) -> None:
        self.conn, self.source = conn, source
        self.cancelled_ready = False
        for index in secondary_indexes():
            index.drop(conn)

    def cancel(self, line_ids: list[str]) -> None:
        """Remember cancelled line ids; `finish` removes their rows written before now."""
        if not self.cancelled_ready:
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {_CANCELLED_TABLE} (line_id varchar(128), "
                "written_up_to bigint) ON COMMIT DROP"
            )
            self.cancelled_ready = True
        table = table_of(Transaction)
        written_up_to = self.conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1))
        last = written_up_to.scalar() or 0
        rows = pd.DataFrame({"line_id": line_ids, "written_up_to": last})
        copy_rows(self.conn, _CANCELLED_TABLE, rows, ("line_id", "written_up_to"))

    def finish(self) -> tuple[int, int, int]:
        """Apply the cancellations, keep each line id's last row, build the indexes again.
        Returns (rows removed, repeated lines that changed, repeated lines that did not)."""
        removed = self._remove_cancelled()
        changed = unchanged = 0
        self.conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{_MAINTENANCE_MEMORY}'")
        for index in secondary_indexes():
            if not index.unique:
                index.create(self.conn)
                continue
            savepoint = self.conn.begin_nested()
            try:
                index.create(self.conn)
            except IntegrityError:  # a line id came twice: its last row stays
                savepoint.rollback()
                changed, unchanged = self._drop_repeated_lines()
                index.create(self.conn)
            else:
                savepoint.commit()
        return removed, changed, unchanged

    def _remove_cancelled(self) -> int:
        if not self.cancelled_ready:
            return 0
        result = self.conn.exec_driver_sql(
            f"DELETE FROM transactions t USING {_CANCELLED_TABLE} c "
            "WHERE t.source = %(source)s AND t.line_id = c.line_id AND t.id <= c.written_up_to",
            {"source": self.source},
        )
        return int(result.rowcount)

    def _drop_repeated_lines(self) -> tuple[int, int]:
        """Delete all but the last row of each (source, line_id) met more than once. Each row
        deleted is compared with the next one of its line, as the upsert would have compared
        them: how many of those next rows changed the line, and how many did not."""
        differs = " OR ".join(f"t.{c} IS DISTINCT FROM n.{c}" for c in COMPARED_COLUMNS)
        changed, unchanged = self.conn.exec_driver_sql(
            "WITH repeated AS (SELECT source, line_id FROM transactions "
            "WHERE line_id IS NOT NULL GROUP BY source, line_id HAVING count(*) > 1), "
            "ordered AS (SELECT t.id, lead(t.id) OVER "
            "(PARTITION BY t.source, t.line_id ORDER BY t.id) AS next_id "
            "FROM transactions t JOIN repeated USING (source, line_id)), "
            "gone AS (DELETE FROM transactions t USING ordered o, transactions n "
            "WHERE t.id = o.id AND o.next_id IS NOT NULL AND n.id = o.next_id "
            f"RETURNING ({differs}) AS changed) "
            "SELECT count(*) FILTER (WHERE changed), count(*) FILTER (WHERE NOT changed) FROM gone"
        ).one()
        return int(changed), int(unchanged)
