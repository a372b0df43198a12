"""Running the scheduler: on its own (`recbot scheduler`, `python -m bot.jobs`) or beside
`recbot serve`, which starts it as one child process.

Why a child process and not a thread inside the server: gunicorn forks its workers from the
master, and a thread cannot cross a fork safely; one scheduler per workers would be N of them.
One child per `recbot serve` keeps it to one per process group, and the database claims keep
any number of replicas from doing the same work twice.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys

from bot.jobs.child import launch_command
from bot.jobs.scheduler import build_jobs, build_scheduler
from bot.settings import JobSettings, SlackSettings
from db.migrate import ensure_schema
from db.session import make_engine, safe_url
from db.settings import Settings

log = logging.getLogger(__name__)


def run_forever() -> None:
    """Build the jobs from the environment and run the scheduler until SIGTERM/SIGINT."""
    settings, jobs_settings = Settings.from_env(), JobSettings.from_env()
    slack = SlackSettings.from_env()
    engine = make_engine(settings.database_url)
    ensure_schema(engine, auto_upgrade=settings.database_url_is_default)
    jobs = build_jobs(engine, jobs_settings, slack)
    scheduler = build_scheduler(jobs, jobs_settings, blocking=True)

    def stop(_signum: int, _frame: object) -> None:
        log.info("scheduler stopping")
        jobs.retrain.stop()
        jobs.sync.stop()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "scheduler: retrain %s (%s), digest %s in each rep's time zone, database %s%s",
        jobs_settings.retrain_cron,
        jobs_settings.scheduler_tz,
        jobs_settings.digest_cron,
        safe_url(engine),
        "" if slack.bot_token else " (no SLACK_BOT_TOKEN: no digests)",
    )
    scheduler.start()


def start_beside_server() -> subprocess.Popen | None:
    """`recbot serve`'s scheduler child (unless SCHEDULER=off); it dies with the server."""
    if not JobSettings.from_env().run_scheduler:
        log.info("SCHEDULER=off: no scheduler in this process group")
        return None
    proc = subprocess.Popen(
        launch_command([sys.executable, "-m", "bot.jobs"]), stdin=subprocess.DEVNULL
    )
    owner = os.getpid()

    def stop() -> None:
        if os.getpid() == owner and proc.poll() is None:  # not in forked gunicorn workers
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    atexit.register(stop)
    log.info("scheduler started beside the server (pid %s)", proc.pid)
    return proc


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    from core.errors import RecbotError

    try:
        run_forever()
    except RecbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
