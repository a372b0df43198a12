"""The retrain job: `recbot train` in a child process with a time limit, its outcome recorded.

TensorFlow only ever lives in the child, so the scheduler (and the Slack app next to it) never
loads it and all of its memory goes back to the system when the child ends. The promotion gate
and the atomic switch are the model side's (`recbot train`); the ModelVersion row the child
leaves is the source of truth for the outcome.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select, update

from bot.jobs import claims
from bot.jobs.child import launch_command, stop_group
from bot.jobs.schedule import last_occurrence, naive_utc, period_key, utcnow
from bot.jobs.sync import SyncJob, SyncOutcome
from bot.settings import JobSettings
from db import outcomes
from db.models import ModelVersion
from db.settings import OutcomeSettings

log = logging.getLogger(__name__)
JOB = "retrain"
HEARTBEAT_S = 30.0
TERM_GRACE_S = 10.0
OUTCOMES = {
    "live": "promoted",
    "candidate": "candidate",
    "rejected": "rejected",
    "failed": "failed",
}


def train_command(*args: str) -> list[str]:
    """`recbot train` run by this interpreter (works with or without the console script)."""
    return [sys.executable, "-c", "from bot.cli import main; main()", "train", *args]


@dataclass(frozen=True)
class RetrainOutcome:
    outcome: str  # promoted | candidate | rejected | failed | skipped
    detail: str
    version_id: int | None = None
    sync_note: str = ""  # what the sync before it did, when sources are configured

    def line(self) -> str:
        version = f" version {self.version_id}" if self.version_id else ""
        note = f" ({self.sync_note})" if self.sync_note else ""
        return f"Weekly retrain{version}: {self.outcome.upper()}: {self.detail}{note}"


class RetrainJob:
    def __init__(
        self,
        engine: Engine,
        settings: JobSettings,
        command: Sequence[str] | None = None,
        notify: Callable[[str], None] | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        sync: SyncJob | None = None,
    ) -> None:
        self.engine, self.settings = engine, settings
        self.sync = sync  # run first, when a sources file is configured
        configured = shlex.split(settings.retrain_command) if settings.retrain_command else None
        self.command = list(command or configured or train_command())
        self.notify = notify
        self.owner = owner or claims.owner_id()
        self.clock = clock
        self._proc: subprocess.Popen | None = None
        self._stopping = False

    def stop(self) -> None:
        """Stop a running training child (scheduler shutdown); its run is recorded as failed."""
        self._stopping = True
        if self._proc is not None and self._proc.poll() is None:
            _stop(self._proc)

    def due_period(self, now: datetime) -> str | None:
        """The scheduled occurrence to run now, if it is less than the grace old."""
        occ = last_occurrence(self.settings.retrain_cron, self.settings.scheduler_tz, now)
        if occ is None or now - occ > timedelta(seconds=self.settings.retrain_grace_s):
            return None
        return period_key(occ)

    def run(self, now: datetime | None = None, manual: bool = False) -> RetrainOutcome:
        now = now or self.clock()
        stamp = naive_utc(now)
        period = f"manual-{stamp:%Y-%m-%dT%H:%M:%S.%f}" if manual else self.due_period(now)
        if period is None:
            return RetrainOutcome("skipped", "no retrain is due")
        run = claims.claim_run(self.engine, JOB, period, stamp, self.owner)
        if run is None:
            return RetrainOutcome("skipped", "another process ran or is running this retrain")
        sync_note = self._sync_first(run)
        try:
            result = self._train(run)
        except Exception as exc:  # spawning failed, the database went away, …
            result = RetrainOutcome("failed", f"{type(exc).__name__}: {exc}")
        result = replace(result, sync_note=sync_note)
        status = "failed" if result.outcome == "failed" else "succeeded"
        if self._stopping:  # a shutdown, not a verdict: the next start may run this period
            status = "abandoned"
        detail = result.detail + (f" ({sync_note})" if sync_note else "")
        if self.notify and self.settings.admin_channel:
            try:
                self.notify(result.line() + last_week_line(self.engine, now))
            except Exception as exc:  # the outcome is recorded either way
                detail += f" (admin channel post failed: {type(exc).__name__})"
        claims.finish_run(
            self.engine,
            run,
            naive_utc(self.clock()),
            status,
            result.outcome,
            detail,
            result.version_id,
        )
        log.info("%s", result.line())
        return result

    def _sync_first(self, run: claims.RunClaim) -> str:
        """Pull the sources before training; a failed sync is reported, and training goes on
        with what the store has."""
        if self.sync is None or not self.sync.configured:
            return ""
        try:
            synced = self.sync.run(period=f"retrain-{run.period}", announce=False, keep_alive=[run])
        except Exception as exc:
            synced = SyncOutcome("failed", f"{type(exc).__name__}: {exc}")
        if synced.outcome == "synced":
            return f"synced first: {synced.detail}"
        return (
            f"sync {synced.outcome.upper()}: {synced.detail}; trained on the data already in "
            "the store"
        )

    def _train(self, run: claims.RunClaim) -> RetrainOutcome:
        before = self._newest_version()
        env = {
            **os.environ,
            **_thread_env(),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.engine.url.render_as_string(False),
        }
        timeout = self.settings.retrain_timeout_s
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(
                launch_command(self.command, idle=True),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._proc = proc
            try:
                timed_out = self._wait(proc, run, timeout)
            finally:
                self._proc = None
            out.seek(0)
            tail = out.read()[-4000:].decode("utf-8", "replace")
        version = self._version_after(before)
        if timed_out:
            why = f"timed out after {timeout}s and was stopped; serving unchanged"
            if version is not None and version[1] == "training":
                self._mark_failed(version[0], why)
            return RetrainOutcome("failed", why, version[0] if version else None)
        if version is None or version[1] == "training":
            if self._stopping:
                last = "stopped: the scheduler shut down"
            elif proc.returncode < 0:
                last = f"killed by signal {-proc.returncode}"
            else:
                last = _last_line(tail) or f"exit status {proc.returncode}"
            if version is not None:
                self._mark_failed(version[0], f"the training process ended unfinished: {last}")
            return RetrainOutcome("failed", last, version[0] if version else None)
        vid, status, reason = version
        outcome = OUTCOMES.get(status, status)
        return RetrainOutcome(outcome, reason or f"exit status {proc.returncode}", vid)

    def _wait(self, proc: subprocess.Popen, run: claims.RunClaim, timeout: float) -> bool:
        """Wait for the child, heart-beating the claim; stop it at the time limit."""
        waited = 0.0
        while True:
            step = min(HEARTBEAT_S, timeout - waited)
            try:
                proc.wait(timeout=max(step, 0.01))
                return False
            except subprocess.TimeoutExpired:
                waited += step
            claims.heartbeat(self.engine, run, naive_utc(self.clock()))
            if waited >= timeout:
                _stop(proc)
                return True

    def _newest_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(ModelVersion.id), 0))).scalar_one()

    def _version_after(self, before: int) -> tuple[int, str, str | None] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ModelVersion.id, ModelVersion.status, ModelVersion.reason)
                .where(ModelVersion.id > before)
                .order_by(ModelVersion.id.desc())
            ).first()
        return None if row is None else (row.id, row.status, row.reason)

    def _mark_failed(self, version_id: int, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ModelVersion)
                .where(ModelVersion.id == version_id, ModelVersion.status == "training")
                .values(status="failed", reason=reason[:1000])
            )


def _stop(proc: subprocess.Popen) -> None:
    stop_group(proc, TERM_GRACE_S)


def _thread_env() -> dict[str, str]:
    """Half the cores for TensorFlow's thread pools and the chunked feature and scoring work
    (unless set), leaving room for serving."""
    threads = str(max(1, (os.cpu_count() or 2) // 2))
    names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "TRAIN_WORKERS")
    return {k: os.environ.get(k, threads) for k in names}


def _last_line(text: str) -> str:
    lines = [
        line.strip()
        for line in text.strip().splitlines()
        if line.strip() and not line.startswith("(Background on this error")
    ]
    return lines[-1][:500] if lines else ""


def last_week_line(engine: Engine, now: datetime) -> str:
    """' · last week's picks: 12.0 % bought so far (30 of 250 shown)', for the admin channel's
    retrain message ('' when the database cannot say)."""
    until = naive_utc(now)
    days = OutcomeSettings.from_env().attribution_days
    try:
        with engine.connect() as conn:
            week = outcomes.hit_rate(conn, until - timedelta(days=7), until, days, until)
    except Exception as exc:  # the message goes out without it
        log.warning("last week's hit rate: %s", type(exc).__name__)
        return ""
    if not week.shown or week.rate is None:
        return " · last week's picks: none shown"
    return (
        f" · last week's picks: {week.rate:.1%} bought so far "
        f"({week.hits:,} of {week.shown:,} shown)"
    )
