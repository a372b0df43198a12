"""Writing checked transactions: external ids resolved to database ids (unknown customers and
products created), rows COPied on PostgreSQL or inserted with executemany on SQLite, and the
import_batches record that makes a re-import of the same file a no-op."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from db.models import Base, Customer, ImportBatch, Product, Transaction

ID_BATCH = 5000  # external ids per IN (...) lookup or multi-row insert
_INSERT_COLUMNS = ("customer_id", "product_id", "quantity", "amount", "occurred_at", "batch_id")
# What makes a line's new row a change of its stored one (lines.py's upserts, bulk_load.py).
COMPARED_COLUMNS = ("customer_id", "product_id", "quantity", "amount", "occurred_at")
# Each column COPied, as the Arrow type of its PostgreSQL column (written_up_to: bulk_load.py).
_COPY_TYPES = {
    "customer_id": pa.int32(),
    "product_id": pa.int32(),
    "batch_id": pa.int32(),
    "quantity": pa.float64(),
    "amount": pa.float64(),
    "occurred_at": pa.timestamp("us"),
    "source": pa.string(),
    "line_id": pa.string(),
    "written_up_to": pa.int64(),
}


def previous_import(engine: Engine, kind: str, sha256: str) -> tuple[int, datetime] | None:
    """(batch id, when) of an earlier import of a file with this content, if any."""
    with engine.connect() as conn:
        row = conn.execute(
            select(ImportBatch.id, ImportBatch.imported_at).where(
                ImportBatch.kind == kind, ImportBatch.sha256 == sha256
            )
        ).first()
    return (row.id, row.imported_at) if row else None


def start_batch(conn: Connection, kind: str, path: Path, sha256: str) -> int:
    """The import_batches row for this file; its id tags every row written."""
    return conn.execute(
        insert(ImportBatch)
        .values(
            kind=kind, filename=path.name[:512], sha256=sha256, rows_imported=0, rows_rejected=0
        )
        .returning(ImportBatch.id)
    ).scalar_one()


def finish_batch(conn: Connection, batch_id: int, rows_imported: int, rows_rejected: int) -> None:
    conn.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id)
        .values(rows_imported=rows_imported, rows_rejected=rows_rejected)
    )


def in_batches(items: list, size: int = ID_BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (typed: `__table__` is only a FromClause to mypy)."""
    return cast(Table, model.__table__)


def load_ids(conn: Connection, table: Table, external_ids: list[str]) -> dict[str, int]:
    """External id -> database id for the ones that exist in `table` (customers or products)."""
    ids: dict[str, int] = {}
    for batch in in_batches(external_ids):
        rows = conn.execute(
            select(table.c.external_id, table.c.id).where(table.c.external_id.in_(batch))
        )
        ids.update(dict(rows.all()))
    return ids


class IdResolver:
    """Maps external ids to database ids for customers or products, creating unknown ones."""

    def __init__(self, model: type[Customer] | type[Product]) -> None:
        self.table = table_of(model)
        self.ids: dict[str, int] = {}
        self.created = 0

    def resolve(
        self, conn: Connection, external_ids: pd.Series, names: pd.Series | None
    ) -> np.ndarray:
        """Database ids for `external_ids`, creating the ones not seen before."""
        codes, uniques = pd.factorize(external_ids)
        unique_ids = uniques.tolist()
        unknown = [e for e in unique_ids if e not in self.ids]
        if unknown:
            self.ids.update(load_ids(conn, self.table, unknown))
            missing = [e for e in unknown if e not in self.ids]
            if missing:
                _, first = np.unique(codes, return_index=True)
                name_of = (
                    dict(zip(unique_ids, names.to_numpy()[first], strict=True))
                    if names is not None
                    else {}
                )
                self._create(conn, missing, name_of)
        lookup = np.fromiter(
            (self.ids[e] for e in unique_ids), dtype=np.int64, count=len(unique_ids)
        )
        return lookup[codes]

    def _create(self, conn: Connection, external_ids: list[str], name_of: dict) -> None:
        for batch in in_batches(external_ids):
            conn.execute(
                insert(self.table),
                [{"external_id": e, "name": _name(name_of.get(e), e)} for e in batch],
            )
        self.ids.update(load_ids(conn, self.table, external_ids))
        self.created += len(external_ids)


def _name(name: object, external_id: str) -> str:
    """The name from the file, or the id when the file gives none."""
    return name if isinstance(name, str) and name else external_id


class TransactionWriter:
    """Writes typed rows. On PostgreSQL each chunk is COPied by a worker thread, so the server
    loads one chunk while this process parses and checks the next; call wait() before using
    the connection for anything else."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.worker = ThreadPoolExecutor(max_workers=1) if self.postgres else None
        self.pending: Future | None = None

    def write(self, rows: pd.DataFrame) -> None:
        self.wait()
        # In (customer, time) order the per-customer index gets its inserts page by page rather
        # than scattered: a third less index work on PostgreSQL (bench/RESULTS.md).
        order = np.lexsort((rows["occurred_at"].to_numpy(), rows["customer_id"].to_numpy()))
        rows = rows.iloc[order]
        if self.worker is not None:
            self.pending = self.worker.submit(_copy_postgres, self.conn, rows)
        else:
            _executemany(self.conn, rows)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def __enter__(self) -> TransactionWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.wait()
        finally:
            if self.worker is not None:
                self.worker.shutdown()


def _copy_postgres(conn: Connection, rows: pd.DataFrame) -> None:
    copy_rows(conn, "transactions", rows, _INSERT_COLUMNS)


def copy_rows(conn: Connection, table: str, rows: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """COPY the typed transaction `columns` of `rows` into `table` (PostgreSQL), in the binary
    format: the server stores the values as they come instead of parsing text (a third less of
    its CPU for a load, and half the encoding here; bench/RESULTS.md)."""
    data = pa.table({column: _arrow(column, rows[column]) for column in columns})
    encoder = ArrowToPostgresBinaryEncoder(data.schema)
    raw: Any = conn.connection.dbapi_connection  # psycopg's connection: COPY
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)") as copy,
    ):
        copy.write(encoder.write_header())
        for batch in data.to_batches():
            copy.write(encoder.write_batch(batch))
        copy.write(encoder.finish())


def _arrow(column: str, values: pd.Series) -> pa.Array:
    """`values` as the Arrow type of the column's PostgreSQL type: binary COPY does not convert
    (an int8 into an integer column is refused), so a wrong type fails loudly here."""
    if values.dtype.kind == "M":
        values = values.astype("datetime64[us]")
    return pa.array(values, type=_COPY_TYPES[column], from_pandas=True)  # NaN, None -> NULL


def _executemany(conn: Connection, rows: pd.DataFrame) -> None:
    raw: Any = conn.connection.dbapi_connection  # sqlite3's connection: executemany in C
    placeholders = ", ".join("?" for _ in _INSERT_COLUMNS)
    raw.executemany(
        f"INSERT INTO transactions ({', '.join(_INSERT_COLUMNS)}) VALUES ({placeholders})",
        sqlite_values(rows, _INSERT_COLUMNS),
    )


def sqlite_values(rows: pd.DataFrame, columns: tuple[str, ...]) -> Iterator[tuple]:
    """The typed transaction `columns` of `rows` as SQLite parameters: NULL for a missing
    amount, times as the text SQLAlchemy stores."""
    values = []
    for column in columns:
        if column == "amount":
            amount = rows["amount"].to_numpy(dtype=object)
            amount[pd.isna(rows["amount"]).to_numpy()] = None
            values.append(amount.tolist())
        elif column == "occurred_at":
            values.append(timestamp_strings(rows["occurred_at"].to_numpy()).tolist())
        else:
            values.append(rows[column].tolist())
    return zip(*values, strict=True)


def timestamp_strings(values: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS.ffffff': the exact text SQLAlchemy stores on SQLite, so stored values
    and bound datetimes compare correctly as strings. Formatted once per distinct time."""
    codes, distinct = pd.factorize(values)
    text = np.datetime_as_string(np.asarray(distinct, dtype="datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ").astype(object)[codes]


@contextmanager
def sqlite_bulk_load(conn: Connection, path: Path) -> Iterator[None]:
    """On SQLite, a file bigger than the table is loaded faster without the secondary indexes:
    drop them and build them again at the end, inside the same transaction (SQLite DDL is
    transactional, and readers keep seeing the old snapshot). 10x faster for a first big load."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB for this connection's load
    existing = conn.scalar(select(func.max(Transaction.id))) or 0
    estimated_rows = path.stat().st_size * (4 if path.suffix == ".gz" else 1) // 40
    # The unique (source, line_id) index stays: rows with a line id are upserted against it.
    secondary = [index for index in table_of(Transaction).indexes if not index.unique]
    indexes = secondary if estimated_rows > existing else []
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)
