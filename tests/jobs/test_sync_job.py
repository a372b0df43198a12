"""The sync as a job: `recbot sync` in a child process, exactly once across replicas and CLI runs,
before each weekly retrain, its outcome in job_runs and ADMIN_CHANNEL."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.jobs.retrain import RetrainJob
from bot.jobs.scheduler import SYNC_ID, build_scheduler
from bot.jobs.sync import SyncJob
from bot.settings import JobSettings
from db.models import JobRun, SyncRun, Transaction
from tests.db.sync.erp import TRANSACTIONS, Erp
from tests.db.sync.fixtures import erp, mariadb_url, sync_settings
from tests.jobs.conftest import race

__all__ = ["erp", "mariadb_url"]  # fixtures

MONDAY_0300 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SETTINGS = JobSettings(admin_channel="C0ADMIN", sync_cron="0 5 * * *")
# A stand-in for `recbot train`: the gate rejects its version.
STUB_TRAIN = [
    sys.executable,
    "-c",
    "import os; from sqlalchemy import create_engine, text\n"
    "e = create_engine(os.environ['DATABASE_URL'])\n"
    'with e.begin() as c: c.execute(text("INSERT INTO model_versions (status, arch, started_at, '
    "reason) VALUES ('rejected', 'stub', CURRENT_TIMESTAMP, 'stub gate')\"))",
]


def orders(erp: Erp) -> None:
    erp.order(100, "A1", "2026-01-05 10:00:00")
    erp.line(100, 1, "S1", 2, "2026-03-01 10:00:00")
    erp.line(100, 2, "S2", 1, "2026-03-01 10:00:00")
    erp.line(100, 3, "S3", 1, "2026-03-01 10:00:00")


def job_runs(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                JobRun.job, JobRun.period, JobRun.status, JobRun.outcome, JobRun.detail
            ).order_by(JobRun.id)
        ).all()
    return [tuple(r) for r in rows]


def lines(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Transaction))


def test_the_scheduled_sync_runs_once_across_replicas(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    orders(erp)
    sources = sync_settings(erp.sources_file(tmp_path))
    posted: list[str] = []
    six_am = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

    results = race(
        engine,
        2,
        lambda e, i: SyncJob(
            e, SETTINGS, sources, notify=posted.append, owner=f"replica-{i}", clock=lambda: six_am
        ).run(),
    )

    assert sorted(r.outcome for r in results) == ["skipped", "synced"]
    [(job, period, status, outcome, detail)] = job_runs(engine)
    assert (job, period, status, outcome) == ("sync", "2026-11-23T05:00", "succeeded", "synced")
    assert detail.startswith("erp: 3 added, 0 updated, 0 removed, 0 rejected of 3 rows read")
    assert posted == [f"Sync: SYNCED: {detail}"]
    assert lines(engine) == 3


def test_two_syncs_at_once_from_the_command_line_one_runs(
    database_url: str, engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    orders(erp)
    slow = TRANSACTIONS + " JOIN (SELECT SLEEP(3) AS pause) AS p"
    env = {
        "DATABASE_URL": database_url,
        "SOURCES_FILE": str(erp.sources_file(tmp_path, transactions=slow)),
    }
    command = [sys.executable, "-c", "from bot.cli import main; main()", "sync"]
    first = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not any(run[2] == "running" for run in job_runs(engine)):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.1)

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    out, err = first.communicate(timeout=120)

    assert second.returncode == 1
    assert second.stderr.strip() == (
        "Error: another sync is running; nothing done (try again once it has ended)"
    )
    assert first.returncode == 0, err
    assert out.startswith("Synced erp: 3 added")
    assert [run[2:4] for run in job_runs(engine)] == [("succeeded", "synced")]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SyncRun)) == 1


def test_the_weekly_retrain_syncs_first(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    orders(erp)
    sync = SyncJob(engine, SETTINGS, sync_settings(erp.sources_file(tmp_path)))
    posted: list[str] = []
    job = RetrainJob(engine, SETTINGS, command=STUB_TRAIN, notify=posted.append, sync=sync)

    result = job.run(MONDAY_0300)

    assert result.outcome == "rejected"
    assert result.sync_note.startswith("synced first: erp: 3 added")
    assert posted == [result.line() + " · last week's picks: none shown"]
    assert "(synced first: erp: 3 added" in posted[0]
    runs = job_runs(engine)
    assert [r[:4] for r in runs] == [
        ("retrain", "2026-11-23T02:00", "succeeded", "rejected"),
        ("sync", "retrain-2026-11-23T02:00", "succeeded", "synced"),
    ]
    assert lines(engine) == 3


def test_a_failed_sync_is_reported_and_the_retrain_still_runs(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    down = erp.sources_file(tmp_path, url="mysql+pymysql://root:pw@127.0.0.1:1/erp")
    sync = SyncJob(engine, SETTINGS, sync_settings(down))
    posted: list[str] = []
    job = RetrainJob(engine, SETTINGS, command=STUB_TRAIN, notify=posted.append, sync=sync)

    result = job.run(MONDAY_0300)

    assert result.outcome == "rejected"  # trained (by the stand-in) all the same
    assert result.sync_note.startswith("sync FAILED: source erp: cannot connect to ")
    assert result.sync_note.endswith("; trained on the data already in the store")
    assert "root:pw@" not in posted[0]
    runs = job_runs(engine)
    assert [r[:4] for r in runs] == [
        ("retrain", "2026-11-23T02:00", "succeeded", "rejected"),
        ("sync", "retrain-2026-11-23T02:00", "failed", "failed"),
    ]
    assert "trained on the data already in the store" in runs[0][4]


def test_no_sources_file_no_sync(engine: Engine, tmp_path: Path) -> None:
    sources = sync_settings(tmp_path / "sources.yml")
    sources = type(sources)(tmp_path / "sources.yml", sources_file_is_default=True)
    job = RetrainJob(engine, SETTINGS, command=STUB_TRAIN, sync=SyncJob(engine, SETTINGS, sources))

    result = job.run(MONDAY_0300)

    assert result.sync_note == ""
    assert [r[0] for r in job_runs(engine)] == ["retrain"]


def test_sync_cron_adds_a_scheduled_sync() -> None:
    class Ticks:
        def retrain_tick(self) -> None: ...
        def digest_tick(self) -> None: ...
        def sync_tick(self) -> None: ...

    scheduler = build_scheduler(Ticks(), SETTINGS)  # type: ignore[arg-type]
    scheduler.start(paused=True)
    try:
        sync = scheduler.get_job(SYNC_ID)
        assert sync.coalesce and sync.max_instances == 1
        first = sync.trigger.get_next_fire_time(None, MONDAY_0300)
        assert first.isoformat() == "2026-11-23T05:00:00+00:00"
    finally:
        scheduler.shutdown(wait=False)
    scheduler = build_scheduler(Ticks(), JobSettings())  # type: ignore[arg-type]
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job(SYNC_ID) is None
    finally:
        scheduler.shutdown(wait=False)
