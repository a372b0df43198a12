"""One sync run of one source, in one database transaction.

Master data first (reps, customers, products), then the transactions query streamed chunk by
chunk: each row checked with the rules of `recbot import` (named by its line id), ids resolved
(unknown customers and products created), lines upserted by (source, line_id) and cancelled lines
removed. Any bad row aborts the run — nothing written — unless the source says
`skip_invalid: true`; then the rejects are stored in sync_rejects. The run's sync_runs row, with
the watermark reached, commits with the data; a failed run is recorded afterwards on its own and
leaves the previous watermark in force.

Incremental by default: rows whose watermark is at or after the last succeeded run's watermark
minus the overlap window (late lines), so a line seen twice is simply replaced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from core.errors import RecbotError
from db.imports.check import validate_transactions
from db.imports.lines import LineWriter, has_lines
from db.imports.report import Rejection
from db.imports.write import IdResolver
from db.models import Customer, Product
from db.sync import runs
from db.sync.config import Source
from db.sync.masters import MasterResult, sync_masters
from db.sync.rows import LABEL, OPTIONAL, REQUIRED, SourceChunk, prepare_chunk
from db.sync.source import Columns, chunk_size, connected, run_query, source_engine

FUTURE_TOLERANCE = timedelta(days=1)
KEPT_REJECTS = 1000  # rejected rows a failed run keeps to show


@dataclass
class SyncReport:
    source: str
    mode: str  # full, incremental or since
    since: datetime | None
    dry_run: bool = False
    previous_watermark: datetime | None = None
    watermark: datetime | None = None
    rows_read: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0
    rows_rejected: int = 0
    masters: list[MasterResult] = field(default_factory=list)
    rejects: list[runs.RejectedRow] = field(default_factory=list)  # the first KEPT_REJECTS
    run_id: int | None = None
    seconds: float = 0.0
    began: float = field(default_factory=time.monotonic, repr=False)

    def summary(self) -> str:
        """One line: what the run did."""
        text = (
            f"{self.source}: {self.rows_added:,} added, {self.rows_updated:,} updated, "
            f"{self.rows_removed:,} removed, {self.rows_rejected:,} rejected of "
            f"{self.rows_read:,} rows read"
        )
        if self.masters:
            text += "; " + "; ".join(m.summary() for m in self.masters)
        mark = f"{self.watermark:%Y-%m-%d %H:%M:%S}" if self.watermark else "none yet"
        return f"{text}; watermark {mark}; {self.seconds:.1f} s"


class SyncRejected(RecbotError):
    """Bad rows aborted the run; nothing was written. `report.rejects` lists them."""

    def __init__(self, report: SyncReport) -> None:
        self.report = report
        super().__init__(
            f"source {report.source}: {report.rows_rejected:,} rows are invalid; nothing was "
            "synced (fix them at the source, or set `skip_invalid: true` for it to store the "
            "valid rows and list the others with `recbot sync --rejects`)"
        )


def sync_source(
    store: Engine,
    source: Source,
    *,
    full: bool = False,
    since: datetime | None = None,
    dry_run: bool = False,
    overlap: timedelta = timedelta(days=3),
    job_run_id: int | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None),
    on_chunk: Callable[[int], None] | None = None,
) -> SyncReport:
    """Run one sync of `source` into `store`. See the module docstring."""
    started = now()
    with store.connect() as conn:
        previous = runs.last_watermark(conn, source.name)
    if full or (since is None and previous is None):
        report = SyncReport(source.name, "full", None, dry_run)
    elif since is not None:
        report = SyncReport(source.name, "since", since, dry_run, previous)
    else:
        assert previous is not None
        report = SyncReport(source.name, "incremental", previous - overlap, dry_run, previous)
    try:
        _run(store, source, report, started, job_run_id, now, on_chunk)
    except (RecbotError, DBAPIError) as exc:
        report.seconds = time.monotonic() - report.began
        if not dry_run:
            _record_failure(store, report, started, now(), exc, job_run_id)
        raise
    return report


def _run(
    store: Engine,
    source: Source,
    report: SyncReport,
    started: datetime,
    job_run_id: int | None,
    now: Callable[[], datetime],
    on_chunk: Callable[[int], None] | None,
) -> None:
    engine = source_engine(source)
    try:
        with connected(source, engine) as source_conn, store.connect() as conn:
            transaction = conn.begin()
            try:
                report.run_id = runs.start_run(
                    conn, source.name, report.mode, report.since, started, job_run_id
                )
                report.masters = sync_masters(conn, source_conn, source, write=True)
                for master in report.masters:
                    _reject(conn, report, source, master.kind, master.rejections)
                _sync_transactions(conn, source_conn, source, report, now, on_chunk)
                if report.rows_rejected and not source.skip_invalid:
                    raise SyncRejected(report)
                _finish(conn, report, source, now())
                if report.dry_run:
                    transaction.rollback()
                    report.run_id = None
                else:
                    transaction.commit()
            finally:
                if transaction.is_active:
                    transaction.rollback()
    finally:
        engine.dispose()


def _sync_transactions(
    conn: Connection,
    source_conn: Connection,
    source: Source,
    report: SyncReport,
    now: Callable[[], datetime],
    on_chunk: Callable[[int], None] | None,
) -> None:
    query = run_query(
        source_conn,
        source,
        "transactions",
        (*REQUIRED, source.watermark.lower()),
        report.since,
        source.watermark,
    )
    customers, products = IdResolver(Customer), IdResolver(Product)
    wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in query.columns]
    with LineWriter(conn, source.name, fresh=not has_lines(conn, source.name)) as writer:
        for columns in query.chunks:
            size = chunk_size(columns)
            chunk = _prepare(columns, size, source, report.rows_read + 1)
            report.rows_read += size
            if chunk.watermark is not None:
                report.watermark = max(report.watermark or chunk.watermark, chunk.watermark)
            clean, rejected = validate_transactions(
                chunk.lines[[c for c in wanted if c != "cancelled"] + [LABEL]],
                now(),
                FUTURE_TOLERANCE,
                None,
                label=LABEL,
            )
            # The connection is free again: the previous chunk is written (and a savepoint it
            # rolled back to cannot take these rejects with it).
            writer.wait()
            _reject(conn, report, source, "transactions", chunk.rejections + rejected)
            if on_chunk is not None:
                on_chunk(report.rows_read)
            if report.rows_rejected and not source.skip_invalid:
                continue  # keep reading to report every bad row, but write nothing
            if chunk.cancelled:
                writer.remove(chunk.cancelled)
            if clean.empty:
                continue
            clean["customer_id"] = customers.resolve(
                conn, clean["customer_id"], clean.get("customer_name")
            )
            clean["product_id"] = products.resolve(
                conn, clean["product_id"], clean.get("product_name")
            )
            writer.write(clean)
        if not report.rows_rejected or source.skip_invalid:
            writer.finish()
    report.rows_added, report.rows_updated = writer.added, writer.updated
    report.rows_unchanged, report.rows_removed = writer.unchanged, writer.removed


def _prepare(columns: Columns, size: int, source: Source, first_row: int) -> SourceChunk:
    try:
        return prepare_chunk(columns, size, source.watermark.lower(), first_row)
    except RecbotError as exc:
        raise RecbotError(f"source {source.name}: {exc}") from None


def _reject(
    conn: Connection, report: SyncReport, source: Source, kind: str, rejected: list[Rejection]
) -> None:
    if not rejected:
        return
    rows = [runs.RejectedRow(kind, str(r.line), r.reason) for r in rejected]
    report.rows_rejected += len(rows)
    report.rejects += rows[: max(0, KEPT_REJECTS - len(report.rejects))]
    if source.skip_invalid and report.run_id is not None:
        runs.add_rejects(conn, report.run_id, rows)


def _finish(conn: Connection, report: SyncReport, source: Source, finished: datetime) -> None:
    """The run's row: succeeded, its counts and the watermark reached (never behind the previous
    one unless the run was a full one)."""
    assert report.run_id is not None
    if report.mode != "full" and report.previous_watermark is not None:
        report.watermark = max(
            report.watermark or report.previous_watermark, report.previous_watermark
        )
    report.seconds = time.monotonic() - report.began
    runs.finish_run(
        conn,
        report.run_id,
        status="succeeded",
        finished_at=finished,
        watermark=report.watermark,
        detail=report.summary(),
        **_counts(report),
    )
    runs.forget_old_rejects(conn, source.name)


def _counts(report: SyncReport) -> dict[str, int]:
    return {
        "rows_read": report.rows_read,
        "rows_added": report.rows_added,
        "rows_updated": report.rows_updated,
        "rows_removed": report.rows_removed,
        "rows_rejected": report.rows_rejected,
    }


def _record_failure(
    store: Engine,
    report: SyncReport,
    started: datetime,
    finished: datetime,
    error: Exception,
    job_run_id: int | None,
) -> None:
    message = str(error) if isinstance(error, RecbotError) else f"database error: {error}"
    report.run_id = runs.record_failure(
        store,
        report.source,
        report.mode,
        report.since,
        started,
        finished,
        message[:4000],
        {**_counts(report), "rows_added": 0, "rows_updated": 0, "rows_removed": 0},
        report.rejects,
        job_run_id,
    )
