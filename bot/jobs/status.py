"""What the jobs are doing: schedules, next and last runs, digest deliveries.

Read from the database and the settings only, so `recbot jobs` and `/recommend status` show the
same thing whichever process runs the scheduler.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from bot.jobs.schedule import naive_utc, next_occurrence, utcnow
from bot.mrkdwn import escape
from bot.settings import JobSettings
from db import job_queries
from db.models import JobRun, SalesRep
from db.settings import SyncSettings


@functools.cache
def job_settings() -> JobSettings:
    """The jobs' settings from the environment, read once per process."""
    return JobSettings.from_env()


def next_retrain() -> datetime | None:
    """For Deps.next_retrain: the next scheduled retrain (naive UTC), from RETRAIN_CRON."""
    settings = job_settings()
    upcoming = next_occurrence(settings.retrain_cron, settings.scheduler_tz, utcnow())
    return None if upcoming is None else naive_utc(upcoming)


@dataclass(frozen=True)
class JobStatus:
    name: str
    schedule: str
    next_run: datetime | None
    runs: list[JobRun]


@dataclass(frozen=True)
class Overview:
    retrain: JobStatus
    digest: JobStatus
    deliveries: list[tuple[str, dict[str, int]]]
    sync: JobStatus | None = None  # when a sources file or SYNC_CRON is set, or syncs have run


def overview(conn: Connection, settings: JobSettings, now: datetime, runs: int = 3) -> Overview:
    retrain = JobStatus(
        "retrain",
        f"{settings.retrain_cron} ({settings.scheduler_tz})",
        next_occurrence(settings.retrain_cron, settings.scheduler_tz, now),
        job_queries.recent_runs(conn, "retrain", runs),
    )
    digest = JobStatus(
        "digest",
        f"{settings.digest_cron} (each rep's time zone)",
        _first_digest(conn, settings.digest_cron, now),
        job_queries.recent_runs(conn, "digest", runs),
    )
    return Overview(
        retrain, digest, job_queries.delivery_counts(conn), _sync(conn, settings, now, runs)
    )


def _sync(conn: Connection, settings: JobSettings, now: datetime, runs: int) -> JobStatus | None:
    """The sync: on SYNC_CRON and/or before each retrain; its runs' detail says what they did."""
    recent = job_queries.recent_runs(conn, "sync", runs)
    configured = SyncSettings.from_env().configured
    if not (configured or settings.sync_cron or recent):
        return None
    before_retrain = "before each retrain" if configured else "no sources file"
    if settings.sync_cron:
        schedule = f"{settings.sync_cron} ({settings.scheduler_tz}); {before_retrain}"
        upcoming = next_occurrence(settings.sync_cron, settings.scheduler_tz, now)
    else:
        schedule = before_retrain
        upcoming = next_occurrence(settings.retrain_cron, settings.scheduler_tz, now)
    return JobStatus("sync", schedule, upcoming if configured else None, recent)


def _first_digest(conn: Connection, cron: str, now: datetime) -> datetime | None:
    """The next digest in the reps' own time zones: the earliest of them."""
    zones = conn.execute(select(SalesRep.time_zone).distinct()).scalars().all() or ["UTC"]
    upcoming = [t for t in (next_occurrence(cron, zone, now) for zone in zones) if t is not None]
    return min(upcoming, default=None)


def when(value: datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def run_line(run: JobRun) -> str:
    what = run.outcome or run.status
    first = (run.detail or "").splitlines()[0] if run.detail else ""
    return (
        f"{when(run.started_at)} [{run.period}] {run.status}"
        + (f", {what}" if what != run.status else "")
        + (f": {first}" if first else "")
    )


def deliveries_line(period: str, counts: dict[str, int]) -> str:
    parts = [f"{counts[s]} {s}" for s in ("sent", "failed", "pending", "skipped") if counts.get(s)]
    return f"digest {period}: " + (", ".join(parts) or "none")


def cli_lines(view: Overview) -> list[str]:
    lines = []
    jobs = (view.retrain, view.digest, *((view.sync,) if view.sync else ()))
    for job in jobs:
        lines.append(f"{job.name}: {job.schedule}")
        lines.append(
            f"  next run:  {when(job.next_run)}"
            + (" (the earliest of the reps' time zones)" if job.name == "digest" else "")
        )
        if not job.runs:
            lines.append("  last runs: none yet")
        for i, run in enumerate(job.runs):
            lines.append(f"  {'last runs:' if i == 0 else '':<10} {run_line(run)}")
    for period, counts in view.deliveries:
        lines.append(f"  {deliveries_line(period, counts)}")
    return lines


def slack_run_line(run: JobRun) -> str:
    """A run for Slack readers: when, its outcome, the first line of its detail."""
    first = (run.detail or "").splitlines()[0] if run.detail else ""
    return f"{when(run.started_at)} · {run.outcome or run.status}" + (f": {first}" if first else "")


def slack_lines(view: Overview) -> list[str]:
    last_retrain = view.retrain.runs[0] if view.retrain.runs else None
    last_digest = view.digest.runs[0] if view.digest.runs else None
    lines = [
        "*Last retrain:* "
        + (escape(slack_run_line(last_retrain), 600) if last_retrain else "none yet"),
        f"*Retrain schedule:* `{escape(view.retrain.schedule)}`",
        "*Last digest run:* "
        + (escape(slack_run_line(last_digest), 600) if last_digest else "none yet"),
        f"*Digest schedule:* `{escape(view.digest.schedule)}`",
    ]
    lines += [f"*{escape(deliveries_line(p, c).capitalize())}*" for p, c in view.deliveries[:1]]
    return lines
