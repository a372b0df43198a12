"""Two real APScheduler instances (two replicas) on one database, both catching up on the same
retrain and digest at start-up: one retrain, one DM per rep. The clock is injected."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import Engine, select

from bot.jobs.pacing import Pacer
from bot.jobs.scheduler import build_jobs, build_scheduler
from bot.settings import JobSettings, SlackSettings
from db.models import JobRun
from db.session import make_engine
from tests.jobs.conftest import DUE_AT_0805, MONDAY_0805_UTC, dms
from tests.slack_standin import BOT_TOKEN, SlackStandIn


def finished(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return conn.execute(
            select(JobRun.job, JobRun.status).where(JobRun.status != "running")
        ).all()


def test_two_replicas_one_retrain_one_dm_per_rep(
    db: Engine, slack: SlackStandIn, tmp_path: Path
) -> None:
    marker = tmp_path / "retrains"
    command = f"{sys.executable} -c \"open({str(marker)!r}, 'a').write('x')\""
    settings = JobSettings(retrain_cron="0 8 * * mon", retrain_command=command, digest_pace_per_s=0)
    slack_settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret="", app_token="", api_url=slack.api_url
    )
    url = db.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]
    schedulers = []
    for engine in engines:
        jobs = build_jobs(
            engine, settings, slack_settings, clock=lambda: MONDAY_0805_UTC, pacer=Pacer(0)
        )
        schedulers.append(build_scheduler(jobs, settings))
    for scheduler in schedulers:
        scheduler.start()  # each runs its start-up catch-up ticks right away
    try:
        deadline = time.monotonic() + 60  # a bound on a state, not a timed assertion
        while time.monotonic() < deadline and len(finished(db)) < 2:
            time.sleep(0.05)
        time.sleep(0.2)  # let the losing replica's ticks return too
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        for engine in engines:
            engine.dispose()
    assert marker.read_text() == "x"  # one retrain
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)  # one DM per due rep
    assert sorted(job for job, _ in finished(db)) == ["digest", "retrain"]
