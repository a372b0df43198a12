"""Fixtures for the jobs: the Slack side's known data set plus more reps, the Slack stand-in,
digest and retrain jobs over them. Time is always passed in; nothing waits for a schedule."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.jobs.digest import DigestJob
from bot.jobs.pacing import Pacer
from bot.settings import JobSettings
from bot.slack_client import make_client
from db.models import RepAssignment, SalesRep
from db.session import make_engine
from tests.bot import fixtures
from tests.slack_standin import BOT_TOKEN, SlackStandIn

# Monday 23 November 2026: the digest is due at 08:00 in each rep's own time zone.
MONDAY_0805_UTC = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
PERIOD = "2026-11-23T08:00"
SETTINGS = JobSettings(digest_pace_per_s=0, digest_workers=1)  # one at a time: exact counts

# rep id, email, Slack id (None: found by email), time zone, customers
EXTRA_REPS = [
    (3, "c@example.com", "U0REPC", "Europe/Berlin", [6, 7]),
    (4, "d@example.com", None, "UTC", [1, 2]),
    (5, "e@example.com", "U0REPE", "America/Los_Angeles", [3]),
    (6, "idle@example.com", "U0IDLE", "UTC", []),  # no accounts: never gets a digest
]
LOOKUP = {"d@example.com": "U0REPD"}
DUE_AT_0805 = {"D0REPA", "D0REPB", "D0REPC", "D0REPD"}  # E is in Los Angeles: 00:05 there


def add_reps(engine: Engine) -> None:
    with Session(engine) as s:
        for rep_id, email, user, tz, _ in EXTRA_REPS:
            s.add(
                SalesRep(
                    id=rep_id,
                    email=email,
                    name=f"Rep {email[0].upper()}",
                    slack_user_id=user,
                    time_zone=tz,
                )
            )
        s.flush()
        s.add_all(RepAssignment(rep_id=r, customer_id=c) for r, *_, cs in EXTRA_REPS for c in cs)
        s.commit()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """Reps A (UTC), B (UTC), C (Berlin), D (UTC, by email), E (Los Angeles), idle; live v2."""
    fixtures.fill(engine)
    add_reps(engine)
    return engine


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.users_by_email.update(LOOKUP)
        yield standin


def digest_job(
    engine: Engine,
    slack: SlackStandIn,
    owner: str = "test:1",
    settings: JobSettings = SETTINGS,
    pacer: Pacer | None = None,
    retries: int = 2,
) -> DigestJob:
    client = make_client(BOT_TOKEN, slack.api_url, timeout=5, retries=retries)
    return DigestJob(
        engine, settings, client, pacer or Pacer(0), owner=owner, clock=lambda: MONDAY_0805_UTC
    )


def dms(slack: SlackStandIn) -> dict[str, int]:
    """Delivered chat.postMessage calls per channel."""
    out: dict[str, int] = {}
    for call in slack.delivered("chat.postMessage"):
        out[call.params["channel"]] = out.get(call.params["channel"], 0) + 1
    return out


def race(engine: Engine, n: int, attempt) -> list:
    """Run `attempt(engine, i)` in n threads, each on its own engine, released together."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(n)]
    barrier, results = threading.Barrier(n), [None] * n

    def one(i: int) -> None:
        barrier.wait()
        results[i] = attempt(engines[i], i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    return results
