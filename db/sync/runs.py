"""The record of sync runs (sync_runs) and the rows they rejected (sync_rejects): where the next
incremental run starts, a failed run's entry, and what `recbot sync --rejects` lists.
No pandas here: the scheduler reads these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select, update

from db.models import SyncReject, SyncRun

KEPT_RUNS_WITH_REJECTS = 10  # older runs of a source lose their rejects
LABEL_LENGTH = 256


@dataclass(frozen=True)
class RejectedRow:
    kind: str  # transactions, customers, products or reps
    label: str  # the row's key: its line id, customer id, product id or e-mail
    reason: str


def last_watermark(conn: Connection, source: str) -> datetime | None:
    """The watermark of the source's latest succeeded run, if any."""
    return conn.execute(
        select(SyncRun.watermark)
        .where(SyncRun.source == source, SyncRun.status == "succeeded")
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).scalar()


def start_run(
    conn: Connection,
    source: str,
    mode: str,
    since: datetime | None,
    started_at: datetime,
    job_run_id: int | None,
) -> int:
    """The run's row, inside the run's own transaction (it commits with the data, or not at all)."""
    return conn.execute(
        insert(SyncRun)
        .values(
            source=source,
            status="running",
            mode=mode,
            since=since,
            started_at=started_at,
            rows_read=0,
            rows_added=0,
            rows_updated=0,
            rows_removed=0,
            rows_rejected=0,
            job_run_id=job_run_id,
        )
        .returning(SyncRun.id)
    ).scalar_one()


def finish_run(conn: Connection, run_id: int, **values: object) -> None:
    conn.execute(update(SyncRun).where(SyncRun.id == run_id).values(**values))


def add_rejects(conn: Connection, run_id: int, rejects: Sequence[RejectedRow]) -> None:
    if rejects:
        conn.execute(
            insert(SyncReject),
            [
                {
                    "sync_run_id": run_id,
                    "kind": r.kind,
                    "label": r.label[:LABEL_LENGTH],
                    "reason": r.reason,
                }
                for r in rejects
            ],
        )


def forget_old_rejects(conn: Connection, source: str, keep: int = KEPT_RUNS_WITH_REJECTS) -> None:
    """Only the source's latest `keep` runs keep their rejected rows."""
    old = (
        select(SyncRun.id)
        .where(SyncRun.source == source)
        .order_by(SyncRun.id.desc())
        .offset(keep)
        .scalar_subquery()
    )
    conn.execute(delete(SyncReject).where(SyncReject.sync_run_id <= old))


def record_failure(
    engine: Engine,
    source: str,
    mode: str,
    since: datetime | None,
    started_at: datetime,
    finished_at: datetime,
    error: str,
    counts: dict[str, int],
    rejects: Sequence[RejectedRow],
    job_run_id: int | None,
) -> int:
    """A failed run's row and its rejected rows, in a transaction of their own."""
    with engine.begin() as conn:
        run_id = start_run(conn, source, mode, since, started_at, job_run_id)
        finish_run(conn, run_id, status="failed", finished_at=finished_at, error=error, **counts)
        add_rejects(conn, run_id, rejects)
        forget_old_rejects(conn, source)
    return run_id


@dataclass(frozen=True)
class RunRecord:
    id: int
    source: str
    status: str
    mode: str
    started_at: datetime
    finished_at: datetime | None
    watermark: datetime | None
    rows_read: int
    rows_added: int
    rows_updated: int
    rows_removed: int
    rows_rejected: int
    detail: str | None
    error: str | None


def latest_runs(conn: Connection, source: str | None = None) -> list[RunRecord]:
    """Each source's latest run (or only `source`'s)."""
    newest = select(SyncRun.source, SyncRun.id).order_by(SyncRun.id.desc())
    if source is not None:
        newest = newest.where(SyncRun.source == source)
    seen: dict[str, int] = {}
    for name, run_id in conn.execute(newest):
        seen.setdefault(name, run_id)
    return runs_by_id(conn, sorted(seen.values()))


def runs_by_id(conn: Connection, run_ids: Sequence[int]) -> list[RunRecord]:
    if not run_ids:
        return []
    columns = [getattr(SyncRun, name) for name in RunRecord.__dataclass_fields__]
    rows = conn.execute(select(*columns).where(SyncRun.id.in_(run_ids)).order_by(SyncRun.id))
    return [RunRecord(*row) for row in rows]


def runs_of_job(conn: Connection, job_run_id: int) -> list[RunRecord]:
    """The sync runs done under one job_runs claim."""
    ids = conn.execute(select(SyncRun.id).where(SyncRun.job_run_id == job_run_id)).scalars().all()
    return runs_by_id(conn, list(ids))


def rejects_of(conn: Connection, run_id: int, limit: int | None = None) -> list[RejectedRow]:
    query = (
        select(SyncReject.kind, SyncReject.label, SyncReject.reason)
        .where(SyncReject.sync_run_id == run_id)
        .order_by(SyncReject.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [RejectedRow(*row) for row in conn.execute(query)]
