"""Exactly-once claims, decided by database uniqueness (never by in-memory flags).

Job runs: INSERT (job, period, 'running'); the unique (job, period) key and the partial unique
index "one running row per job" make the loser's INSERT fail, and the loser skips. A run whose
owner stopped heart-beating for `lease` is marked 'abandoned' and its period may be taken over
by one conditional UPDATE (compare-and-set: exactly one contender sees rowcount 1).

Digest deliveries: INSERT (rep, period, 'pending') before sending; afterwards 'sent' or 'failed'
('skipped' when the rep has nothing to show). 'sent' and 'skipped' are final. A 'failed' row is
re-claimed by the next run (after `retry_after`), a 'pending' row only once its claim is older
than `lease` (its sender crashed), again with a compare-and-set UPDATE.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from db import job_queries
from db.models import DigestDelivery, JobRun

JOB_LEASE = timedelta(minutes=10)  # a running job heart-beats at least every minute
DELIVERY_LEASE = timedelta(minutes=10)  # one rep's send takes seconds, retries included
DELIVERY_RETRY_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 8


def owner_id() -> str:
    """Who holds a claim: host and process, for people reading `recbot jobs`."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


@dataclass(frozen=True)
class RunClaim:
    id: int
    job: str
    period: str
    owner: str
    attempt: int


def reap_stale_runs(engine: Engine, job: str, now: datetime, lease: timedelta = JOB_LEASE) -> int:
    """Mark runs whose owner went silent as abandoned (frees "one running per job")."""
    with engine.begin() as conn:
        return conn.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.status == "running", JobRun.heartbeat_at < now - lease)
            .values(
                status="abandoned",
                finished_at=now,
                detail="abandoned: its process stopped (no heartbeat)",
            )
        ).rowcount


def claim_run(
    engine: Engine, job: str, period: str, now: datetime, owner: str, lease: timedelta = JOB_LEASE
) -> RunClaim | None:
    """Start (job, period) if nobody has; None when another process has it or had it."""
    reap_stale_runs(engine, job, now, lease)
    try:
        with engine.begin() as conn:  # the first statement writes: no lock upgrade on SQLite
            run_id = conn.execute(
                insert(JobRun)
                .values(
                    job=job,
                    period=period,
                    status="running",
                    owner=owner,
                    attempt=1,
                    started_at=now,
                    heartbeat_at=now,
                )
                .returning(JobRun.id)
            ).scalar_one()
        return RunClaim(run_id, job, period, owner, 1)
    except IntegrityError:
        pass
    try:  # the period exists: take it over only if its owner died (compare-and-set)
        with engine.begin() as conn:
            row = conn.execute(
                update(JobRun)
                .where(JobRun.job == job, JobRun.period == period, JobRun.status == "abandoned")
                .values(
                    status="running",
                    owner=owner,
                    attempt=JobRun.attempt + 1,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                    outcome=None,
                    detail=None,
                )
                .returning(JobRun.id, JobRun.attempt)
            ).first()
    except IntegrityError:  # another run of this job is going on
        return None
    return None if row is None else RunClaim(row.id, job, period, owner, row.attempt)


def heartbeat(engine: Engine, claim: RunClaim, now: datetime) -> bool:
    """Keep the claim alive; False when it was lost (declared abandoned meanwhile)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                update(JobRun)
                .where(
                    JobRun.id == claim.id, JobRun.owner == claim.owner, JobRun.status == "running"
                )
                .values(heartbeat_at=now)
            ).rowcount
            == 1
        )


def finish_run(
    engine: Engine,
    claim: RunClaim,
    now: datetime,
    status: str,
    outcome: str,
    detail: str,
    model_version_id: int | None = None,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(JobRun)
            .where(JobRun.id == claim.id, JobRun.owner == claim.owner)
            .values(
                status=status,
                outcome=outcome,
                detail=detail[:4000],
                finished_at=now,
                heartbeat_at=now,
                model_version_id=model_version_id,
            )
        )


@dataclass(frozen=True)
class DeliveryClaim:
    id: int
    rep_id: int
    period: str
    owner: str
    claimed_at: datetime
    attempts: int
    channel: str | None  # the DM channel an earlier attempt used, if any

    @property
    def key(self) -> str:
        """Stamped into the message's metadata, to recognise it after a crash."""
        return f"{self.rep_id}:{self.period}"


def claim_delivery(
    engine: Engine,
    rep_id: int,
    period: str,
    now: datetime,
    owner: str,
    retry_after: timedelta = DELIVERY_RETRY_AFTER,
    lease: timedelta = DELIVERY_LEASE,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryClaim | None:
    """The right to send this rep's digest for this period; None if sent, or someone else has it.

    This is the one place that decides whether a rep gets a message.
    """
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(DigestDelivery)
                .values(
                    rep_id=rep_id,
                    period=period,
                    status="pending",
                    attempts=1,
                    claimed_by=owner,
                    claimed_at=now,
                )
                .returning(DigestDelivery.id)
            ).scalar_one()
        return DeliveryClaim(new_id, rep_id, period, owner, now, 1, None)
    except IntegrityError:
        pass
    retryable = or_(
        and_(DigestDelivery.status == "failed", DigestDelivery.claimed_at <= now - retry_after),
        and_(DigestDelivery.status == "pending", DigestDelivery.claimed_at <= now - lease),
    )
    with engine.begin() as conn:
        row = conn.execute(
            update(DigestDelivery)
            .where(
                DigestDelivery.rep_id == rep_id,
                DigestDelivery.period == period,
                DigestDelivery.attempts < max_attempts,
                retryable,
            )
            .values(
                status="pending",
                attempts=DigestDelivery.attempts + 1,
                claimed_by=owner,
                claimed_at=now,
            )
            .returning(DigestDelivery.id, DigestDelivery.attempts, DigestDelivery.channel)
        ).first()
    if row is None:
        return None
    return DeliveryClaim(row.id, rep_id, period, owner, now, row.attempts, row.channel)


def _mine(claim: DeliveryClaim):
    return (
        DigestDelivery.id == claim.id,
        DigestDelivery.claimed_by == claim.owner,
        DigestDelivery.claimed_at == claim.claimed_at,
        DigestDelivery.status == "pending",
    )


def mark_sent(
    engine: Engine,
    claim: DeliveryClaim,
    now: datetime,
    channel: str,
    ts: str | None,
    accounts: int | None,
    note: str | None = None,
    remember_user: str | None = None,
) -> bool:
    """Record the delivery (and, in the same commit, the rep's Slack user and DM channel)."""
    with engine.begin() as conn:
        done = (
            conn.execute(
                update(DigestDelivery)
                .where(*_mine(claim))
                .values(
                    status="sent",
                    sent_at=now,
                    channel=channel,
                    message_ts=ts,
                    accounts=accounts,
                    error=note,
                )
            ).rowcount
            == 1
        )
        if remember_user:
            job_queries.remember_slack_ids(conn, claim.rep_id, now, remember_user, channel)
        return done


def mark_failed(
    engine: Engine, claim: DeliveryClaim, error: str, channel: str | None = None
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(DigestDelivery)
            .where(*_mine(claim))
            .values(status="failed", error=error[:2000], channel=channel)
        )


def mark_skipped(engine: Engine, claim: DeliveryClaim, reason: str) -> None:
    """Nothing to send this period (final, like 'sent')."""
    with engine.begin() as conn:
        conn.execute(
            update(DigestDelivery).where(*_mine(claim)).values(status="skipped", error=reason)
        )


def delivery_status(engine: Engine, rep_id: int, period: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(DigestDelivery.status).where(
                DigestDelivery.rep_id == rep_id, DigestDelivery.period == period
            )
        ).scalar()
