"""The database decides: one winner per (job, period) and per (rep, period), even under a race."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from bot.jobs import claims
from db.models import DigestDelivery, JobRun
from tests.bot import fixtures
from tests.jobs.conftest import race

T0 = datetime(2026, 11, 23, 2, 0)


def test_one_winner_per_job_and_period(engine: Engine) -> None:
    won = race(engine, 6, lambda e, i: claims.claim_run(e, "retrain", "p1", T0, f"host:{i}"))
    assert sum(r is not None for r in won) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(JobRun)).scalar_one() == 1


def test_no_second_running_run_of_a_job_even_for_another_period(engine: Engine) -> None:
    first = claims.claim_run(engine, "retrain", "manual-1", T0, "a:1")
    assert first is not None
    assert claims.claim_run(engine, "retrain", "manual-2", T0, "b:1") is None
    assert claims.claim_run(engine, "digest", "manual-2", T0, "b:1") is not None  # other job
    claims.finish_run(engine, first, T0, "succeeded", "promoted", "ok")
    assert claims.claim_run(engine, "retrain", "manual-2", T0, "b:1") is not None
    assert claims.claim_run(engine, "retrain", "manual-1", T0, "c:1") is None  # done: never again


def test_a_silent_owner_is_abandoned_and_its_period_taken_over_once(engine: Engine) -> None:
    dead = claims.claim_run(engine, "retrain", "p1", T0, "dead:1")
    assert dead is not None
    assert claims.claim_run(engine, "retrain", "p1", T0 + timedelta(minutes=9), "b:1") is None
    later = T0 + timedelta(minutes=11)
    won = race(engine, 4, lambda e, i: claims.claim_run(e, "retrain", "p1", later, f"n:{i}"))
    winners = [r for r in won if r is not None]
    assert len(winners) == 1 and winners[0].attempt == 2
    assert not claims.heartbeat(engine, dead, later)  # the dead owner cannot come back


def test_one_winner_per_rep_and_period(engine: Engine) -> None:
    fixtures.fill(engine)
    won = race(engine, 6, lambda e, i: claims.claim_delivery(e, 1, "w48", T0, f"h:{i}"))
    assert sum(r is not None for r in won) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DigestDelivery)).scalar_one() == 1


def test_sent_is_final_failed_waits_pending_waits_for_its_lease(engine: Engine) -> None:
    fixtures.fill(engine)
    claim = claims.claim_delivery(engine, 1, "w48", T0, "a:1")
    assert claim is not None
    assert claims.claim_delivery(engine, 1, "w48", T0 + timedelta(minutes=9), "b:1") is None
    stale = claims.claim_delivery(engine, 1, "w48", T0 + timedelta(minutes=11), "b:1")
    assert stale is not None and stale.attempts == 2
    assert not claims.mark_sent(engine, claim, T0, "D1", "1.0", 1)  # the old sender lost it
    claims.mark_failed(engine, stale, "Slack chat.postMessage: HTTP 500 internal_error")
    at = stale.claimed_at
    assert claims.claim_delivery(engine, 1, "w48", at + timedelta(minutes=29), "c:1") is None
    retry = claims.claim_delivery(engine, 1, "w48", at + timedelta(minutes=31), "c:1")
    assert retry is not None and retry.attempts == 3
    assert claims.mark_sent(engine, retry, at, "D1", "2.0", 1)
    assert claims.claim_delivery(engine, 1, "w48", at + timedelta(days=3), "d:1") is None
    assert claims.delivery_status(engine, 1, "w48") == "sent"
