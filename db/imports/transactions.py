"""Validated, streaming, all-or-nothing import of transaction files.

A file is read in chunks (memory stays flat), each row is checked, unknown customers and products
are created on the fly, and rows are written with COPY on PostgreSQL or executemany on SQLite —
all inside one database transaction. By default one bad row aborts the import and nothing is
written; with skip_invalid the good rows go in and the rejects are written to a CSV file.
Re-importing a file with the same content is detected by its SHA-256 and adds nothing.
A file with a `line_id` column is keyed by (source, line_id): a line imported before replaces its
row, so overlapping exports do not double rows; without one, rows go in by bulk COPY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from core.errors import RecbotError
from db.imports.check import validate_transactions
from db.imports.lines import LineWriter, has_lines
from db.imports.read import file_sha256, read_chunks, read_header
from db.imports.report import ImportRejected, ImportReport, RejectsFile, check_rejects_path
from db.imports.write import (
    IdResolver,
    TransactionWriter,
    finish_batch,
    previous_import,
    sqlite_bulk_load,
    start_batch,
)
from db.models import Customer, Product

REQUIRED = ("customer_id", "product_id", "quantity", "occurred_at")
OPTIONAL = ("customer_name", "product_name", "amount", "line_id")
DEFAULT_CHUNK_ROWS = 250_000
DEFAULT_FUTURE_TOLERANCE = timedelta(days=1)
SOURCE_LENGTH = 128
KEPT_REJECTS = 1000  # how many rejects an aborted import keeps in memory to report


@dataclass(frozen=True)
class _Options:
    chunk_rows: int
    now: datetime
    future_tolerance: timedelta
    date_format: str | None
    skip_invalid: bool
    on_progress: Callable[[int], None] | None
    source: str  # names the file's line ids: "csv:" + its name unless given


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
    source: str | None = None,
) -> ImportReport:
    """Import a transactions CSV in one database transaction. See the module docstring."""
    path = Path(path)
    if rejects_path is not None:
        check_rejects_path(Path(rejects_path), path)  # before anything is opened for writing
    header = read_header(path, column_map or {}, REQUIRED, OPTIONAL)
    report = ImportReport(path=path)
    sha256 = file_sha256(path)
    earlier = previous_import(engine, "transactions", sha256)
    if earlier is not None:
        report.batch_id, report.already_imported_at = earlier
        return report

    now = now or datetime.now(UTC).replace(tzinfo=None)
    options = _Options(
        chunk_rows,
        now,
        future_tolerance,
        date_format,
        skip_invalid,
        on_progress,
        source_name(source, path),
    )
    rejects = RejectsFile(Path(rejects_path)) if skip_invalid and rejects_path else None
    committed = False
    try:
        with engine.connect() as conn, conn.begin():
            batch_id = start_batch(conn, "transactions", path, sha256)
            with sqlite_bulk_load(conn, path):
                _import_chunks(conn, path, header, batch_id, report, options, rejects)
            if report.rows_rejected and not skip_invalid:
                report.rows_imported = 0
                raise ImportRejected(report)  # leaving the block rolls everything back
            finish_batch(conn, batch_id, report.rows_imported, report.rows_rejected)
            report.batch_id = batch_id
        committed = True
    except IntegrityError as exc:
        if "import_batches" in str(exc.orig) or "sha256" in str(exc.orig):
            raise RecbotError(f"{path.name} is being imported by another process") from None
        raise
    finally:
        if rejects is not None and not committed:
            rejects.discard()
    if rejects is not None:
        rejects.keep()
    report.rejects_path = rejects.path if rejects else None
    return report


def _import_chunks(
    conn: Connection,
    path: Path,
    header: list[str],
    batch_id: int,
    report: ImportReport,
    options: _Options,
    rejects: RejectsFile | None,
) -> None:
    """Check every chunk; write the clean rows unless a bad row means the import will abort."""
    customers, products = IdResolver(Customer), IdResolver(Product)
    keyed = "line_id" in header
    writer: LineWriter | TransactionWriter = (
        LineWriter(conn, options.source, batch_id, fresh=not has_lines(conn, options.source))
        if keyed
        else TransactionWriter(conn)
    )
    with writer:
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
        if isinstance(writer, LineWriter) and (not report.rows_rejected or options.skip_invalid):
            writer.finish()
    if isinstance(writer, LineWriter):
        report.rows_updated, report.rows_unchanged = writer.updated, writer.unchanged
    report.customers_created, report.products_created = customers.created, products.created


def source_name(source: str | None, path: Path) -> str:
    """What a file's line ids belong to: the given name, else "csv:" and the file's name."""
    name = (source or "").strip() or f"csv:{path.name}"
    if len(name) > SOURCE_LENGTH:
        raise RecbotError(f"the source name {name[:40]!r}… is longer than {SOURCE_LENGTH}")
    return name
