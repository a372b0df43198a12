"""Reads and small writes of the scheduled jobs: digest recipients, their accounts, reps' digest
settings, and job history for `recbot jobs` and `/recommend status`.

Which rep a Slack user is lives in db.queries.rep_for_slack_user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, exists, func, select

from db.attention import Account, accounts_by_attention
from db.models import (
    Customer,
    DigestDelivery,
    JobRun,
    RepAssignment,
    RepDigestSetting,
    SalesRep,
)
from db.queries import CustomerRef
from db.serving import LiveModel
from db.upsert_row import upsert_row


@dataclass(frozen=True)
class Recipient:
    rep_id: int
    email: str
    name: str
    time_zone: str
    slack_user_id: str | None  # stored on the rep, else the one found by email earlier
    dm_channel: str | None
    opted_out: bool


def recipients(conn: Connection) -> list[Recipient]:
    """Every rep with at least one assigned account, with their digest settings."""
    has_accounts = exists().where(RepAssignment.rep_id == SalesRep.id)
    rows = conn.execute(
        select(
            SalesRep.id,
            SalesRep.email,
            SalesRep.name,
            SalesRep.time_zone,
            SalesRep.slack_user_id,
            RepDigestSetting.slack_user_id.label("found_user"),
            RepDigestSetting.dm_channel,
            RepDigestSetting.opted_out,
        )
        .outerjoin(RepDigestSetting, RepDigestSetting.rep_id == SalesRep.id)
        .where(has_accounts)
        .order_by(SalesRep.id)
    )
    out = []
    for r in rows:
        user = r.slack_user_id or r.found_user or None
        # the saved DM channel belongs to the saved user; a changed user id needs a new one
        channel = r.dm_channel if user is not None and user == r.found_user else None
        out.append(
            Recipient(r.id, r.email, r.name, r.time_zone or "UTC", user, channel, bool(r.opted_out))
        )
    return out


def deliveries(conn: Connection, periods: Iterable[str]) -> dict[tuple[int, str], tuple]:
    """(rep_id, period) -> (status, attempts, claimed_at) for the given periods."""
    keys = sorted(set(periods))
    if not keys:
        return {}
    rows = conn.execute(
        select(
            DigestDelivery.rep_id,
            DigestDelivery.period,
            DigestDelivery.status,
            DigestDelivery.attempts,
            DigestDelivery.claimed_at,
        ).where(DigestDelivery.period.in_(keys))
    )
    return {(r.rep_id, r.period): (r.status, r.attempts, r.claimed_at) for r in rows}


def rep_accounts(conn: Connection, rep_id: int, model: LiveModel, now: datetime) -> list[Account]:
    """The rep's accounts, the ones needing attention first, each with its actions
    (db/attention.py)."""
    rows = conn.execute(
        select(Customer.id, Customer.external_id, Customer.name, Customer.segment, Customer.region)
        .join(RepAssignment, RepAssignment.customer_id == Customer.id)
        .where(RepAssignment.rep_id == rep_id)
    ).all()
    refs = [CustomerRef(r.id, r.external_id, r.name, r.segment, r.region) for r in rows]
    return accounts_by_attention(conn, model, refs, now)


def save_digest_setting(engine: Engine, rep_id: int, now: datetime, **values: object) -> None:
    """Upsert one rep's digest settings (opted_out, slack_user_id, dm_channel)."""
    with engine.begin() as conn:
        upsert_row(
            conn,
            RepDigestSetting,
            {"rep_id": rep_id},
            {"updated_at": now, **values},
            insert_only={} if "opted_out" in values else {"opted_out": False},
        )


def remember_slack_ids(
    conn: Connection, rep_id: int, now: datetime, user: str, channel: str
) -> None:
    """Keep the Slack user found for a rep and their DM channel (upsert, in the caller's tx)."""
    upsert_row(
        conn,
        RepDigestSetting,
        {"rep_id": rep_id},
        {"slack_user_id": user, "dm_channel": channel, "updated_at": now},
        insert_only={"opted_out": False},
    )


def opted_out(conn: Connection, rep_id: int) -> bool:
    return bool(
        conn.execute(
            select(RepDigestSetting.opted_out).where(RepDigestSetting.rep_id == rep_id)
        ).scalar()
    )


def recent_runs(conn: Connection, job: str, limit: int = 5) -> list[JobRun]:
    rows = conn.execute(
        select(*JobRun.__table__.c)
        .where(JobRun.job == job)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(limit)
    )
    return [JobRun(**dict(r._mapping)) for r in rows]


def delivery_counts(conn: Connection, limit: int = 2) -> list[tuple[str, dict[str, int]]]:
    """The latest digest periods with how many deliveries are sent, failed or pending."""
    periods = (
        conn.execute(
            select(DigestDelivery.period)
            .group_by(DigestDelivery.period)
            .order_by(DigestDelivery.period.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    out = []
    for period in periods:
        counts = dict(
            conn.execute(
                select(DigestDelivery.status, func.count())
                .where(DigestDelivery.period == period)
                .group_by(DigestDelivery.status)
            ).all()
        )
        out.append((period, counts))
    return out
