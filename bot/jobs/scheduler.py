"""APScheduler 3 set-up: the retrain on RETRAIN_CRON, the digest checked every few minutes, and
the sync on SYNC_CRON when set (it also runs before each retrain when sources are configured).

The scheduler only says *when to look*; the database says *what to do*. Each tick asks for the
latest due occurrence and claims it (bot.jobs.claims), so a restart catches up on a missed run
once (start-up runs one tick of each job), and extra replicas or overlapping ticks just skip.
The digest tick runs every five minutes because each rep's 08:00 is in their own time zone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.jobs.digest import DigestJob, DigestReport
from bot.jobs.pacing import Pacer
from bot.jobs.retrain import RetrainJob, RetrainOutcome
from bot.jobs.schedule import utcnow
from bot.jobs.sync import SyncJob, SyncOutcome
from bot.settings import JobSettings, SlackSettings
from bot.slack_client import make_client
from db.settings import SyncSettings

log = logging.getLogger(__name__)
DIGEST_TICK = "*/5 * * * *"
RETRAIN_ID, DIGEST_ID, SYNC_ID = "retrain", "digest", "sync"


@dataclass
class Jobs:
    retrain: RetrainJob
    digest: DigestJob
    sync: SyncJob

    def retrain_tick(self) -> RetrainOutcome | None:
        try:
            return self.retrain.run()
        except Exception:  # keep the scheduler alive; the next tick tries again
            log.exception("retrain tick failed")
            return None

    def sync_tick(self) -> SyncOutcome | None:
        try:
            return self.sync.run()
        except Exception:
            log.exception("sync tick failed")
            return None

    def digest_tick(self) -> DigestReport | None:
        try:
            report = self.digest.run()
        except Exception:
            log.exception("digest tick failed")
            return None
        if report.ran:
            log.info("digest: %s", report.summary())
        return report


def build_jobs(
    engine: Engine,
    settings: JobSettings,
    slack: SlackSettings,
    clock: Callable[[], datetime] = utcnow,
    pacer: Pacer | None = None,
    sources: SyncSettings | None = None,
) -> Jobs:
    """The jobs over one engine and one Slack client (None without SLACK_BOT_TOKEN)."""
    client = make_client(slack.bot_token, slack.api_url, retries=3) if slack.bot_token else None

    def notify(text: str) -> None:
        if client is not None:
            client.chat_postMessage(channel=settings.admin_channel, text=text)

    sync = SyncJob(engine, settings, sources or SyncSettings.from_env(), notify=notify, clock=clock)
    return Jobs(
        RetrainJob(engine, settings, notify=notify, clock=clock, sync=sync),
        DigestJob(engine, settings, client, pacer, clock=clock),
        sync,
    )


def build_scheduler(jobs: Jobs, settings: JobSettings, blocking: bool = False) -> BaseScheduler:
    """A scheduler with both jobs; catching up is the jobs' business (see the module doc)."""
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        timezone="UTC",
        job_defaults={
            "coalesce": True,  # several missed fire times run once
            "max_instances": 1,  # never overlaps itself in one process (the DB covers the rest)
        },
    )
    scheduler.add_job(
        jobs.retrain_tick,
        retrain_trigger(settings),
        id=RETRAIN_ID,
        name="weekly retrain",
        misfire_grace_time=settings.retrain_grace_s,
    )
    scheduler.add_job(
        jobs.digest_tick,
        CronTrigger.from_crontab(DIGEST_TICK, timezone="UTC"),
        id=DIGEST_ID,
        name="reps' digest",
        misfire_grace_time=300,
    )
    # One tick of each at start-up: runs a retrain or digest missed while nothing was running.
    scheduler.add_job(jobs.retrain_tick, id="retrain-catch-up", name="retrain catch-up")
    scheduler.add_job(jobs.digest_tick, id="digest-catch-up", name="digest catch-up")
    if settings.sync_cron:
        scheduler.add_job(
            jobs.sync_tick,
            CronTrigger.from_crontab(settings.sync_cron, timezone=settings.scheduler_tz),
            id=SYNC_ID,
            name="sync",
            misfire_grace_time=settings.sync_grace_s,
        )
        scheduler.add_job(jobs.sync_tick, id="sync-catch-up", name="sync catch-up")
    return scheduler


def retrain_trigger(settings: JobSettings) -> CronTrigger:
    return CronTrigger.from_crontab(settings.retrain_cron, timezone=settings.scheduler_tz)
