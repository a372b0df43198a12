"""`recbot digest | retrain | jobs` as a user runs them."""

from __future__ import annotations

import sys
from datetime import UTC

from click.testing import CliRunner, Result
from sqlalchemy import Engine

from bot.cli import cli
from tests.jobs.conftest import LOOKUP
from tests.slack_standin import BOT_TOKEN, SlackStandIn


def run(args: list[str], database_url: str, **env: str) -> Result:
    base = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "",
        "SLACK_API_URL": "",
        "ADMIN_CHANNEL": "",
        "RETRAIN_COMMAND": "",
    }
    return CliRunner().invoke(cli, args, env={**base, **env}, catch_exceptions=False)


def test_dry_run_prints_one_digest_per_rep_and_sends_nothing(db: Engine) -> None:
    url = db.url.render_as_string(hide_password=False)
    result = run(["digest", "--dry-run"], url)
    assert result.exit_code == 0, result.output
    headers = [line for line in result.output.splitlines() if line.startswith("=== to ")]
    assert len(headers) == 5  # reps A to E; the rep without accounts gets none
    assert "=== to Rep A <a@example.com> via U0REPA" in result.output
    assert "via the Slack user with email d@example.com (looked up)" in result.output
    assert "Acme Bistro (C001)" in result.output
    assert "5 digest(s) would be sent; 0 rep(s) opted out" in result.output


def test_digest_needs_one_mode_and_a_token(db: Engine) -> None:
    url = db.url.render_as_string(hide_password=False)
    assert "exactly one of --dry-run or --now" in run(["digest"], url).output
    assert "SLACK_BOT_TOKEN is not set" in run(["digest", "--now"], url).output


def test_digest_now_sends_once_and_jobs_shows_it(db: Engine) -> None:
    url = db.url.render_as_string(hide_password=False)
    with SlackStandIn() as slack:
        slack.users_by_email.update(LOOKUP)
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url, "DIGEST_PACE": "0"}
        first = run(["digest", "--now"], url, **env)
        second = run(["digest", "--now"], url, **env)
        assert len(slack.delivered("chat.postMessage")) == 5
    assert first.exit_code == 0 and "digest: 5 sent, 0 failed" in first.output
    assert second.exit_code == 0 and "nobody is due" in second.output
    jobs = run(["jobs"], url)
    assert "digest: 0 8 * * mon (each rep's time zone)" in jobs.output
    assert "succeeded, sent: 5 sent, 0 failed" in jobs.output
    assert "digest 2026-11-" in jobs.output and "sent" in jobs.output


def test_retrain_now_reports_failure_and_jobs_shows_it(db: Engine) -> None:
    url = db.url.render_as_string(hide_password=False)
    command = f"{sys.executable} -c \"print('training failed: no transactions'); exit(1)\""
    result = run(["retrain", "--now"], url, RETRAIN_COMMAND=command)
    assert result.exit_code == 1
    assert "Weekly retrain: FAILED: training failed: no transactions" in result.output
    jobs = run(["jobs"], url)
    assert jobs.exit_code == 0
    assert "retrain: 0 2 * * mon (UTC)" in jobs.output
    assert "failed: training failed: no transactions" in jobs.output
    assert "next run:  20" in jobs.output


def test_next_digest_is_the_earliest_of_the_reps_time_zones(engine: Engine) -> None:
    from datetime import datetime

    from sqlalchemy import insert

    from bot.jobs.status import overview
    from bot.settings import JobSettings
    from db.models import SalesRep

    with engine.begin() as conn:
        conn.execute(
            insert(SalesRep),
            [
                {"email": "ny@example.com", "name": "NY", "time_zone": "America/New_York"},
                {"email": "la@example.com", "name": "LA", "time_zone": "America/Los_Angeles"},
            ],
        )
        view = overview(conn, JobSettings(), datetime(2026, 11, 27, 12, 0, tzinfo=UTC))

    # Monday 08:00 in New York comes first: 13:00 UTC.
    assert view.digest.next_run.astimezone(UTC) == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
