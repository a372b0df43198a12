"""The sync job: `recbot sync` in a child process, exactly once across replicas.

Like the retrain, the scheduler claims the run in job_runs (bot.jobs.claims) and heart-beats it
while the child works, so pandas and the database drivers' memory stay out of the scheduler.
The child records each source's run in sync_runs under this claim's id; the outcome read from
there goes to `recbot jobs` and ADMIN_CHANNEL. The sync runs on SYNC_CRON when set, and before
each weekly retrain whenever a sources file is configured.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from bot.jobs import claims
from bot.jobs.child import launch_command, stop_group
from bot.jobs.schedule import last_occurrence, naive_utc, period_key, utcnow
from bot.settings import JobSettings
from db.models import JobRun
from db.settings import SyncSettings
from db.sync.runs import RunRecord, runs_of_job

log = logging.getLogger(__name__)
JOB = "sync"
HEARTBEAT_S = 30.0


def sync_command(*args: str) -> list[str]:
    """`recbot sync` run by this interpreter (works with or without the console script)."""
    return [sys.executable, "-c", "from bot.cli import main; main()", "sync", *args]


@contextmanager
def heartbeating(
    engine: Engine,
    *held: claims.RunClaim,
    every: float = HEARTBEAT_S,
    clock: Callable[[], datetime] = utcnow,
) -> Iterator[None]:
    """Keep claims alive from a thread while the block runs. On SQLite a heartbeat waits while
    the sync holds the write lock; a missed beat is tried again at the next one."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            for claim in held:
                try:
                    claims.heartbeat(engine, claim, naive_utc(clock()))
                except OperationalError:
                    log.debug("heartbeat of %s missed", claim.job)

    thread = threading.Thread(target=beat, name="sync-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def another_running(engine: Engine, now: datetime) -> bool:
    """Whether a live sync holds a claim: a read, so on SQLite a second sync says so at once
    instead of waiting for the first one's write lock. The claim itself still decides."""
    with engine.connect() as conn:
        return (
            conn.execute(
                select(JobRun.id).where(
                    JobRun.job == JOB,
                    JobRun.status == "running",
                    JobRun.heartbeat_at >= naive_utc(now) - claims.JOB_LEASE,
                )
            ).first()
            is not None
        )


@dataclass(frozen=True)
class SyncOutcome:
    outcome: str  # synced | failed | skipped
    detail: str

    def line(self) -> str:
        return f"Sync: {self.outcome.upper()}: {self.detail}"


class SyncJob:
    def __init__(
        self,
        engine: Engine,
        settings: JobSettings,
        sources: SyncSettings,
        command: Sequence[str] | None = None,
        notify: Callable[[str], None] | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine, self.settings, self.sources = engine, settings, sources
        self.command = list(command or sync_command())
        self.notify = notify
        self.owner = owner or claims.owner_id()
        self.clock = clock
        self._proc: subprocess.Popen | None = None

    @property
    def configured(self) -> bool:
        return self.sources.configured

    def stop(self) -> None:
        """Stop a running sync child (scheduler shutdown): its transaction rolls back."""
        if self._proc is not None and self._proc.poll() is None:
            stop_group(self._proc)

    def due_period(self, now: datetime) -> str | None:
        """SYNC_CRON's occurrence to run now, if it is less than the grace old."""
        if not self.settings.sync_cron:
            return None
        occ = last_occurrence(self.settings.sync_cron, self.settings.scheduler_tz, now)
        if occ is None or now - occ > timedelta(seconds=self.settings.sync_grace_s):
            return None
        return period_key(occ)

    def run(
        self,
        now: datetime | None = None,
        manual: bool = False,
        period: str | None = None,
        announce: bool = True,
        keep_alive: Sequence[claims.RunClaim] = (),
    ) -> SyncOutcome:
        """Claim the period and sync in a child. `period` is given by a retrain that syncs first
        (its own claims in `keep_alive` are heart-beaten meanwhile); `announce` posts the
        outcome to ADMIN_CHANNEL."""
        now = now or self.clock()
        stamp = naive_utc(now)
        if period is None:
            period = f"manual-{stamp:%Y-%m-%dT%H:%M:%S.%f}" if manual else self.due_period(now)
        if period is None:
            return SyncOutcome("skipped", "no sync is due")
        if not self.configured:
            return SyncOutcome("skipped", f"no sources file ({self.sources.sources_file})")
        claim = None
        if not another_running(self.engine, now):
            claim = claims.claim_run(self.engine, JOB, period, stamp, self.owner)
        if claim is None:
            return SyncOutcome("skipped", "another process ran or is running this sync")
        try:
            with heartbeating(self.engine, claim, *keep_alive, clock=self.clock):
                result = self._sync(claim)
        except Exception as exc:  # spawning failed, the database went away, …
            result = SyncOutcome("failed", f"{type(exc).__name__}: {exc}")
        detail = result.detail
        if announce and self.notify and self.settings.admin_channel:
            try:
                self.notify(result.line())
            except Exception as exc:  # the outcome is recorded either way
                detail += f" (admin channel post failed: {type(exc).__name__})"
        status = "failed" if result.outcome == "failed" else "succeeded"
        claims.finish_run(
            self.engine, claim, naive_utc(self.clock()), status, result.outcome, detail
        )
        log.info("%s", result.line())
        return result

    def _sync(self, claim: claims.RunClaim) -> SyncOutcome:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.engine.url.render_as_string(False),
            "SOURCES_FILE": str(self.sources.sources_file.resolve()),
        }
        timeout = self.settings.sync_timeout_s
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(
                launch_command([*self.command, "--job-run", str(claim.id)]),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._proc = proc
            try:
                proc.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                stop_group(proc)
                timed_out = True
            finally:
                self._proc = None
            out.seek(0)
            tail = out.read()[-4000:].decode("utf-8", "replace")
        with self.engine.connect() as conn:
            done = runs_of_job(conn, claim.id)
        if timed_out:
            return SyncOutcome("failed", f"timed out after {timeout}s and was stopped")
        return outcome_of(done, proc.returncode, tail)


def outcome_of(done: list[RunRecord], returncode: int, output: str) -> SyncOutcome:
    """The job's outcome from the sources' runs (and the child's last words if none ran)."""
    failed = [run for run in done if run.status != "succeeded"]
    if not done or (returncode != 0 and not failed):
        last = _last_line(output) or f"exit status {returncode}"
        return SyncOutcome("failed", last.removeprefix("Error: "))
    lines = [(run.error if run in failed else run.detail) or run.status for run in done]
    return SyncOutcome("failed" if failed else "synced", " | ".join(lines))


def _last_line(text: str) -> str:
    lines = [
        line.strip()
        for line in text.strip().splitlines()
        if line.strip() and not line.startswith(("(Background on this error", "…"))
    ]
    return lines[-1][:500] if lines else ""
