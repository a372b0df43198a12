"""Votes and digest settings are one atomic upsert: concurrent writers all succeed, one row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from db import job_queries, queries
from db.models import Feedback, RepDigestSetting
from tests.bot import fixtures
from tests.jobs.conftest import race

NOW = datetime(2026, 11, 27, 12, 0)


def test_concurrent_votes_on_one_product_leave_one_row(engine: Engine) -> None:
    fixtures.fill(engine)

    def vote(e: Engine, i: int) -> int:
        with e.connect() as conn:
            queries.record_feedback(conn, 1, 2, fixtures.REP_A, 1 if i % 2 else -1, None)
        return i

    assert sorted(race(engine, 8, vote)) == list(range(8))  # nobody gave up or raised
    with engine.connect() as conn:
        votes = conn.execute(select(Feedback.vote)).scalars().all()
    assert len(votes) == 1 and votes[0] in (1, -1)
    with engine.connect() as conn:
        queries.record_feedback(conn, 1, 2, fixtures.REP_A, 1, fixtures.LIVE_ID)
        row = conn.execute(select(Feedback.vote, Feedback.model_version_id)).one()
    assert tuple(row) == (1, fixtures.LIVE_ID)


def test_concurrent_digest_settings_leave_one_row_with_a_written_value(engine: Engine) -> None:
    fixtures.fill(engine)

    def save(e: Engine, i: int) -> int:
        job_queries.save_digest_setting(e, 1, NOW, opted_out=bool(i % 2))
        return i

    assert sorted(race(engine, 8, save)) == list(range(8))
    job_queries.save_digest_setting(engine, 1, NOW, dm_channel="D0REPA")
    with engine.connect() as conn:
        [row] = conn.execute(select(RepDigestSetting)).all()
    assert row.dm_channel == "D0REPA" and row.opted_out in (True, False)
    job_queries.save_digest_setting(engine, 2, NOW, dm_channel="D0REPB")
    with engine.connect() as conn:
        new = conn.execute(select(RepDigestSetting).where(RepDigestSetting.rep_id == 2)).one()
    assert new.opted_out is False  # a new row starts opted in
