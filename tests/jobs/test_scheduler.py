"""APScheduler wiring: triggers, coalescing, catch-up at start-up, and the settings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from bot.jobs.schedule import last_occurrence, next_occurrence, period_key
from bot.jobs.scheduler import DIGEST_ID, RETRAIN_ID, build_scheduler
from bot.settings import JobSettings
from core.errors import RecbotError

FRIDAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class CountingJobs:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.both = threading.Event()

    def retrain_tick(self) -> None:
        self._called("retrain")

    def digest_tick(self) -> None:
        self._called("digest")

    def _called(self, name: str) -> None:
        self.calls.append(name)
        if {"retrain", "digest"} <= set(self.calls):
            self.both.set()


def test_jobs_triggers_and_defaults() -> None:
    settings = JobSettings(retrain_cron="30 3 * * sun", scheduler_tz="Europe/Berlin")
    scheduler = build_scheduler(CountingJobs(), settings)  # type: ignore[arg-type]
    scheduler.start(paused=True)
    try:
        retrain, digest = scheduler.get_job(RETRAIN_ID), scheduler.get_job(DIGEST_ID)
        assert retrain.coalesce and retrain.max_instances == 1
        assert retrain.misfire_grace_time == settings.retrain_grace_s
        assert digest.coalesce and digest.max_instances == 1
        nxt = retrain.trigger.get_next_fire_time(None, FRIDAY)
        assert nxt.isoformat() == "2026-11-29T03:30:00+01:00"
        assert digest.trigger.get_next_fire_time(None, FRIDAY) == FRIDAY
    finally:
        scheduler.shutdown(wait=False)


def test_start_up_ticks_each_job_once_to_catch_up() -> None:
    jobs = CountingJobs()
    scheduler = build_scheduler(jobs, JobSettings())  # type: ignore[arg-type]
    scheduler.start()
    try:
        assert jobs.both.wait(timeout=30)
    finally:
        scheduler.shutdown(wait=True)
    assert sorted(jobs.calls) == ["digest", "retrain"]


def test_periods_are_local_wall_clock_occurrences() -> None:
    for tz in ("UTC", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Kiritimati"):
        occ = last_occurrence("0 8 * * mon", tz, FRIDAY)
        assert period_key(occ) == "2026-11-23T08:00"
    assert (
        last_occurrence("0 8 * * mon", "UTC", datetime(2026, 11, 23, 7, 59, tzinfo=UTC)).isoformat()
        == "2026-11-16T08:00:00+00:00"
    )
    assert next_occurrence("0 2 * * mon", "UTC", FRIDAY).isoformat() == "2026-11-30T02:00:00+00:00"
    assert last_occurrence("0 2 1 1 *", "UTC", FRIDAY).isoformat() == "2026-01-01T02:00:00+00:00"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"RETRAIN_CRON": "every monday"}, "RETRAIN_CRON must be a 5-field crontab"),
        ({"DIGEST_CRON": "0 8 * *"}, "DIGEST_CRON must be a 5-field crontab"),
        ({"SCHEDULER_TZ": "Mars/Olympus"}, "SCHEDULER_TZ must be an IANA time zone"),
        ({"RETRAIN_TIMEOUT": "0"}, "RETRAIN_TIMEOUT must be a whole number"),
        ({"DIGEST_PACE": "fast"}, "DIGEST_PACE must be messages per second"),
        ({"SCHEDULER": "maybe"}, "SCHEDULER must be true or false"),
    ],
)
def test_bad_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict, needle: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(RecbotError, match=needle):
        JobSettings.from_env()


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "RETRAIN_CRON": "0 4 * * sat",
        "ADMIN_CHANNEL": "C0ADMIN",
        "DIGEST_PACE": "0",
        "SCHEDULER": "off",
        "RETRAIN_TIMEOUT": "600",
    }.items():
        monkeypatch.setenv(key, value)
    settings = JobSettings.from_env()
    assert (
        settings.retrain_cron,
        settings.admin_channel,
        settings.digest_pace_per_s,
        settings.run_scheduler,
        settings.retrain_timeout_s,
    ) == ("0 4 * * sat", "C0ADMIN", 0.0, False, 600)
