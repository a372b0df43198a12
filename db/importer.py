"""Validated, streaming, all-or-nothing import of transaction files.

A file is read in chunks (memory stays flat), each row is checked, unknown customers and products
are created on the fly, and rows are written with COPY on PostgreSQL or executemany on SQLite —
all inside one database transaction. By default one bad row aborts the import and nothing is
written; with skip_invalid the good rows go in and the rejects are written to a CSV file.
Re-importing a file with the same content is detected by its SHA-256 and adds nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import RecbotError
from db.models import Customer, ImportBatch, Product, Transaction

REQUIRED = ("customer_id", "product_id", "quantity", "occurred_at")
OPTIONAL = ("customer_name", "product_name", "amount")
MAX_ID_LENGTH = 128
MAX_NAME_LENGTH = 256
DEFAULT_CHUNK_ROWS = 250_000
DEFAULT_FUTURE_TOLERANCE = timedelta(days=1)
KEPT_REJECTS = 1000  # how many rejects an aborted import keeps in memory to report


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    path: Path
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    customers_created: int = 0
    products_created: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    rejects_path: Path | None = None
    already_imported_at: datetime | None = None
    batch_id: int | None = None


class ImportRejected(RecbotError):
    """Bad rows aborted the import; nothing was written. `report` lists them."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(
            f"{report.path.name}: {report.rows_rejected} of {report.rows_read} rows are invalid; "
            "nothing was imported (fix them, or use --skip-invalid to import the valid rows)"
        )


def parse_column_map(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`["customer_id=CustomerID"]` -> `{"CustomerID": "customer_id"}` (source -> canonical)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        canonical, source = canonical.strip(), source.strip()
        if not sep or not canonical or not source:
            raise RecbotError(f"--map takes canonical=source, got {pair!r}")
        mapping[source] = canonical
    return mapping


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_text(path: Path) -> tuple[io.BufferedReader, io.TextIOBase]:
    """(raw byte stream for progress, text stream to parse); gunzips `.gz` files."""
    if not path.is_file():
        raise RecbotError(f"no such file: {path}")
    raw = path.open("rb")
    stream = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
    return raw, io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def read_header(
    path: Path, column_map: dict[str, str], required: tuple[str, ...], optional: tuple[str, ...]
) -> list[str]:
    """The file's columns renamed to canonical names; a clear error if a required one is missing."""
    raw, text = open_text(path)
    with raw, text:
        try:
            header = next(csv.reader(text))
        except StopIteration:
            raise RecbotError(f"{path.name}: the file is empty (expected a header line)") from None
        except UnicodeDecodeError:
            raise RecbotError(f"{path.name}: not a UTF-8 text file") from None
    header = [h.strip() for h in header]
    missing_sources = [s for s in column_map if s not in header]
    if missing_sources:
        raise RecbotError(
            f"{path.name}: --map names column(s) {', '.join(missing_sources)} that the file does "
            f"not have (it has: {', '.join(header)})"
        )
    canonical = [column_map.get(h, h) for h in header]
    missing = [c for c in required if c not in canonical]
    if missing:
        raise RecbotError(
            f"{path.name}: missing column(s) {', '.join(missing)} (the file has: "
            f"{', '.join(header)}; rename with --map {missing[0]}=YOUR_COLUMN)"
        )
    known = required + optional
    duplicated = sorted({c for c in canonical if canonical.count(c) > 1 and c in known})
    if duplicated:
        raise RecbotError(f"{path.name}: column(s) {', '.join(duplicated)} appear more than once")
    return canonical


def read_chunks(
    path: Path, header: list[str], chunk_rows: int, on_bytes: Callable[[int], None] | None = None
) -> Iterator[pd.DataFrame]:
    """Chunks of the file as strings, each with a `_line` column: the line number in the file."""
    raw, text = open_text(path)
    with raw, text, warnings.catch_warnings():
        # pandas only warns when the first data line has more fields than the header.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        reader = pd.read_csv(
            text,
            header=0,
            names=header,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            chunksize=chunk_rows,
            on_bad_lines="error",
            index_col=False,
        )
        first_line = 2
        try:
            for chunk in reader:
                chunk["_line"] = np.arange(first_line, first_line + len(chunk))
                first_line += len(chunk)
                if on_bytes is not None:
                    on_bytes(raw.tell())
                yield _without_blank_lines(chunk, header)
        except pd.errors.ParserError as exc:
            raise RecbotError(f"{path.name}: malformed CSV: {str(exc).strip()}") from None
        except pd.errors.ParserWarning:
            raise RecbotError(
                f"{path.name}: malformed CSV: line 2 has more fields than the header"
            ) from None
        except UnicodeDecodeError:
            raise RecbotError(f"{path.name}: not a UTF-8 text file") from None


def _without_blank_lines(chunk: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    # isna() on text columns is slow: test the first column, then only its empty cells.
    maybe_blank = np.flatnonzero(chunk[header[0]].isna().to_numpy())
    if len(maybe_blank) == 0:
        return chunk
    blank = chunk.iloc[maybe_blank][header].isna().all(axis=1)
    return chunk.drop(index=blank.index[blank.to_numpy()])


class _Checks:
    """Accumulates reasons per row of a chunk, vectorised."""

    def __init__(self, chunk: pd.DataFrame) -> None:
        self.chunk = chunk
        self.bad = np.zeros(len(chunk), dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def flag(self, mask: np.ndarray | pd.Series, reason: Callable[[int], str]) -> None:
        mask = np.asarray(mask, dtype=bool)
        for position in np.flatnonzero(mask):
            self.reasons.setdefault(int(position), []).append(reason(int(position)))
        self.bad |= mask

    def rejections(self) -> list[Rejection]:
        lines = self.chunk["_line"].to_numpy()
        return [Rejection(int(lines[i]), "; ".join(r)) for i, r in sorted(self.reasons.items())]


def _value(chunk: pd.DataFrame, column: str) -> Callable[[int], str]:
    values = chunk[column].to_numpy()
    return lambda i: _shorten(values[i])


def _shorten(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Column:
    """A chunk's column factorised once, so checks and conversions run on its distinct values
    only: ids, quantities and dates repeat a lot, and per-value string work is what is slow."""

    def __init__(self, values: pd.Series) -> None:
        self.codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        self.distinct = pd.Series(uniques, dtype=object)
        self.missing = self.codes < 0

    def spread(self, per_distinct: pd.Series | np.ndarray, fill: object) -> np.ndarray:
        """Values computed per distinct value, laid out per row (`fill` where the cell is empty)."""
        per_distinct = np.asarray(per_distinct)
        if len(per_distinct) == 0:
            return np.full(len(self.codes), fill, dtype=per_distinct.dtype)
        out = per_distinct[np.maximum(self.codes, 0)]
        out[self.missing] = fill
        return out


def validate_transactions(
    chunk: pd.DataFrame, now: datetime, future_tolerance: timedelta, date_format: str | None
) -> tuple[pd.DataFrame, list[Rejection]]:
    """Split a chunk into clean typed rows and rejections with reasons."""
    checks = _Checks(chunk)
    ids = {}
    for column in ("customer_id", "product_id"):
        values = _Column(chunk[column])
        stripped = values.distinct.str.strip()
        ids[column] = values.spread(stripped.where(stripped != "", None), None)
        checks.flag(pd.isna(ids[column]), lambda _i, c=column: f"missing {c}")
        too_long = values.spread(stripped.str.len() > MAX_ID_LENGTH, False)
        checks.flag(too_long, lambda _i, c=column: f"{c} longer than {MAX_ID_LENGTH} characters")

    quantity_column = _Column(chunk["quantity"])
    quantity = quantity_column.spread(_numbers(quantity_column.distinct), np.nan)
    checks.flag(quantity_column.missing, lambda _i: "missing quantity")
    quantity_text = _value(chunk, "quantity")
    checks.flag(
        ~quantity_column.missing & ~np.isfinite(quantity),
        lambda i: f"quantity {quantity_text(i)!r} is not a number",
    )
    checks.flag(quantity == 0, lambda _i: "quantity is zero")

    amount = np.full(len(chunk), np.nan)
    if "amount" in chunk:
        amount_column = _Column(chunk["amount"])
        amount = amount_column.spread(_numbers(amount_column.distinct), np.nan)
        amount_text = _value(chunk, "amount")
        checks.flag(
            ~amount_column.missing & ~np.isfinite(amount),
            lambda i: f"amount {amount_text(i)!r} is not a number",
        )

    date_column = _Column(chunk["occurred_at"])
    occurred = date_column.spread(
        _parse_dates(date_column.distinct, date_format), np.datetime64("NaT")
    )
    checks.flag(date_column.missing, lambda _i: "missing occurred_at")
    date_text = _value(chunk, "occurred_at")
    checks.flag(
        ~date_column.missing & np.isnat(occurred), lambda i: f"unparseable date {date_text(i)!r}"
    )
    latest = np.datetime64(now + future_tolerance, "us")
    checks.flag(occurred > latest, lambda i: f"date {date_text(i)!r} is in the future")

    good = ~checks.bad
    clean = pd.DataFrame(
        {
            "customer_id": ids["customer_id"][good],
            "product_id": ids["product_id"][good],
            "quantity": quantity[good],
            "amount": amount[good],
            "occurred_at": occurred[good],
        }
    )
    for column in ("customer_name", "product_name"):
        if column in chunk:
            names = _Column(chunk[column])
            clean[column] = names.spread(
                names.distinct.str.strip().str.slice(0, MAX_NAME_LENGTH), None
            )[good]
    return clean, checks.rejections()


def _numbers(texts: pd.Series) -> np.ndarray:
    return pd.to_numeric(texts.str.strip(), errors="coerce").to_numpy(dtype=float)


def _parse_dates(texts: pd.Series, date_format: str | None) -> np.ndarray:
    parsed = pd.to_datetime(
        texts.str.strip(), errors="coerce", utc=True, format=date_format or "ISO8601"
    )
    return parsed.dt.tz_convert(None).dt.as_unit("us").to_numpy()


class _Dimension:
    """Maps external ids to database ids for customers or products, creating unknown ones."""

    def __init__(self, model: type[Customer] | type[Product]) -> None:
        self.model = model
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
            self._load(conn, unknown)
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

    def _load(self, conn: Connection, external_ids: list[str]) -> None:
        table = self.model.__table__
        for batch in _batches(external_ids, 5000):
            rows = conn.execute(
                select(table.c.external_id, table.c.id).where(table.c.external_id.in_(batch))
            )
            self.ids.update(dict(rows.all()))

    def _create(self, conn: Connection, external_ids: list[str], name_of: dict) -> None:
        table = self.model.__table__
        for batch in _batches(external_ids, 5000):
            conn.execute(
                insert(table), [{"external_id": e, "name": _name(name_of.get(e), e)} for e in batch]
            )
        self._load(conn, external_ids)
        self.created += len(external_ids)


def _name(name: object, external_id: str) -> str:
    """The name from the file, or the id when the file gives none."""
    return name if isinstance(name, str) and name else external_id


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_INSERT_COLUMNS = ("customer_id", "product_id", "quantity", "amount", "occurred_at", "batch_id")


class _RowWriter:
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

    def __enter__(self) -> _RowWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.wait()
        finally:
            if self.worker is not None:
                self.worker.shutdown()


def _timestamp_strings(values: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS.ffffff': the exact text SQLAlchemy stores on SQLite, so stored values
    and bound datetimes compare correctly as strings. Formatted once per distinct time."""
    codes, distinct = pd.factorize(values)
    text = np.datetime_as_string(np.asarray(distinct, dtype="datetime64[us]"), unit="us")
    return np.char.replace(text, "T", " ").astype(object)[codes]


def _copy_postgres(conn: Connection, rows: pd.DataFrame) -> None:
    table = pa.table(
        {
            "customer_id": pa.array(rows["customer_id"].to_numpy()),
            "product_id": pa.array(rows["product_id"].to_numpy()),
            "quantity": pa.array(rows["quantity"].to_numpy()),
            "amount": pa.array(rows["amount"].to_numpy(), from_pandas=True),  # NaN -> empty -> NULL
            "occurred_at": pa.array(rows["occurred_at"].to_numpy().astype("datetime64[us]")),
            "batch_id": pa.array(rows["batch_id"].to_numpy()),
        }
    )
    payload = pa.BufferOutputStream()
    pa_csv.write_csv(table, payload, pa_csv.WriteOptions(include_header=False))
    raw = conn.connection.dbapi_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY transactions ({', '.join(_INSERT_COLUMNS)}) FROM STDIN (FORMAT csv)"
        ) as copy,
    ):
        copy.write(payload.getvalue().to_pybytes())


def _executemany(conn: Connection, rows: pd.DataFrame) -> None:
    amount = rows["amount"].to_numpy(dtype=object)
    amount[pd.isna(rows["amount"]).to_numpy()] = None
    values = zip(
        rows["customer_id"].tolist(),
        rows["product_id"].tolist(),
        rows["quantity"].tolist(),
        amount.tolist(),
        _timestamp_strings(rows["occurred_at"].to_numpy()).tolist(),
        rows["batch_id"].tolist(),
        strict=True,
    )
    raw = conn.connection.dbapi_connection
    placeholders = ", ".join("?" for _ in _INSERT_COLUMNS)
    raw.executemany(
        f"INSERT INTO transactions ({', '.join(_INSERT_COLUMNS)}) VALUES ({placeholders})", values
    )


class _RejectsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(["line", "reason"])

    def write(self, rejections: list[Rejection]) -> None:
        self.writer.writerows((r.line, r.reason) for r in rejections)

    def close(self) -> None:
        self.handle.close()


def previous_import(engine: Engine, kind: str, sha256: str) -> tuple[int, datetime] | None:
    """(batch id, when) of an earlier import of a file with this content, if any."""
    with engine.connect() as conn:
        row = conn.execute(
            select(ImportBatch.id, ImportBatch.imported_at).where(
                ImportBatch.kind == kind, ImportBatch.sha256 == sha256
            )
        ).first()
    return (row.id, row.imported_at) if row else None


@contextmanager
def _sqlite_bulk_load(conn: Connection, path: Path) -> Iterator[None]:
    """On SQLite, a file bigger than the table is loaded faster without the secondary indexes:
    drop them and build them again at the end, inside the same transaction (SQLite DDL is
    transactional, and readers keep seeing the old snapshot). 10x faster for a first big load."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB for this connection's load
    existing = conn.scalar(select(func.max(Transaction.id))) or 0
    estimated_rows = path.stat().st_size * (4 if path.suffix == ".gz" else 1) // 40
    indexes = list(Transaction.__table__.indexes) if estimated_rows > existing else []
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


@dataclass(frozen=True)
class _Options:
    chunk_rows: int
    now: datetime
    future_tolerance: timedelta
    date_format: str | None
    skip_invalid: bool
    on_progress: Callable[[int], None] | None


def _import_chunks(
    conn: Connection,
    path: Path,
    header: list[str],
    batch_id: int,
    report: ImportReport,
    options: _Options,
    rejects: _RejectsFile | None,
) -> None:
    """Check every chunk; write the clean rows unless a bad row means the import will abort."""
    customers, products = _Dimension(Customer), _Dimension(Product)
    with _RowWriter(conn) as writer:
        for chunk in read_chunks(path, header, options.chunk_rows, options.on_progress):
            report.rows_read += len(chunk)
            clean, rejected = validate_transactions(
                chunk, options.now, options.future_tolerance, options.date_format
            )
            report.rows_rejected += len(rejected)
            if rejects is not None:
                rejects.write(rejected)
            report.rejections.extend(rejected[: max(0, KEPT_REJECTS - len(report.rejections))])
            if (report.rows_rejected and not options.skip_invalid) or clean.empty:
                continue  # keep reading to report every bad line, but write nothing
            writer.wait()  # the connection is free again
            clean["customer_id"] = customers.resolve(
                conn, clean["customer_id"], clean.get("customer_name")
            )
            clean["product_id"] = products.resolve(
                conn, clean["product_id"], clean.get("product_name")
            )
            clean["batch_id"] = batch_id
            writer.write(clean)
            report.rows_imported += len(clean)
    report.customers_created, report.products_created = customers.created, products.created


def import_transactions(
    engine: Engine,
    path: Path,
    column_map: dict[str, str] | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    now: datetime | None = None,
    future_tolerance: timedelta = DEFAULT_FUTURE_TOLERANCE,
    date_format: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a transactions CSV in one database transaction. See the module docstring."""
    path = Path(path)
    header = read_header(path, column_map or {}, REQUIRED, OPTIONAL)
    report = ImportReport(path=path)
    sha256 = file_sha256(path)
    earlier = previous_import(engine, "transactions", sha256)
    if earlier is not None:
        report.batch_id, report.already_imported_at = earlier
        return report

    now = now or datetime.now(UTC).replace(tzinfo=None)
    rejects = _RejectsFile(rejects_path) if skip_invalid and rejects_path else None
    try:
        with engine.connect() as conn, conn.begin():
            batch_id = conn.execute(
                insert(ImportBatch)
                .values(
                    kind="transactions",
                    filename=path.name[:512],
                    sha256=sha256,
                    rows_imported=0,
                    rows_rejected=0,
                )
                .returning(ImportBatch.id)
            ).scalar_one()
            with _sqlite_bulk_load(conn, path):
                _import_chunks(
                    conn,
                    path,
                    header,
                    batch_id,
                    report,
                    _Options(
                        chunk_rows, now, future_tolerance, date_format, skip_invalid, on_progress
                    ),
                    rejects,
                )
            if report.rows_rejected and not skip_invalid:
                report.rows_imported = 0
                raise ImportRejected(report)  # leaving the block rolls everything back
            conn.execute(
                update(ImportBatch)
                .where(ImportBatch.id == batch_id)
                .values(rows_imported=report.rows_imported, rows_rejected=report.rows_rejected)
            )
            report.batch_id = batch_id
    except IntegrityError as exc:
        if "import_batches" in str(exc.orig) or "sha256" in str(exc.orig):
            raise RecbotError(f"{path.name} is being imported by another process") from None
        raise
    finally:
        if rejects is not None:
            rejects.close()
    report.rejects_path = rejects.path if rejects else None
    return report
