"""The app's settings: Slack (`recbot serve`) and the scheduled jobs, from the environment.

The database URL is the store's own setting (db.settings). Secrets are kept out of repr so they
never reach a log line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.env import (
    bool_value,
    cron_value,
    int_value,
    read_env,
    user_ids_value,
    zone_value,
)
from core.errors import RecbotError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackSettings:
    """What `recbot serve` needs. Secrets are kept out of repr so they never reach a log line."""

    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    app_token: str = field(repr=False)
    api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    restrict_to_assigned: bool = False
    admin_user_ids: frozenset[str] = frozenset()
    web_workers: int = 2
    web_threads: int = 4

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls) -> SlackSettings:
        """Parse the Slack variables; a malformed value raises RecbotError naming the variable."""
        env = read_env(SLACK_VARS)
        return cls(
            bot_token=env["SLACK_BOT_TOKEN"],
            signing_secret=env["SLACK_SIGNING_SECRET"],
            app_token=env["SLACK_APP_TOKEN"],
            api_url=_api_url(env["SLACK_API_URL"]),
            port=int_value("PORT", env["PORT"], 3000, 1, 65535),
            restrict_to_assigned=bool_value("RESTRICT_TO_ASSIGNED", env["RESTRICT_TO_ASSIGNED"]),
            admin_user_ids=user_ids_value(env["ADMIN_USER_IDS"]),
            web_workers=int_value("WEB_CONCURRENCY", env["WEB_CONCURRENCY"], 2, 1, 64),
            web_threads=int_value("WEB_THREADS", env["WEB_THREADS"], 4, 1, 256),
        )

    def check_for_serve(self) -> None:
        """Refuse to start without the secrets the chosen mode needs."""
        if not self.bot_token:
            raise RecbotError("SLACK_BOT_TOKEN is not set (the app's xoxb- bot token)")
        if not self.bot_token.startswith("xoxb-"):
            raise RecbotError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if self.app_token and not self.app_token.startswith("xapp-"):
            raise RecbotError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        if not self.app_token and not self.signing_secret:
            raise RecbotError(
                "SLACK_SIGNING_SECRET is not set (needed for HTTP mode; "
                "set SLACK_APP_TOKEN instead to use Socket Mode)"
            )


SLACK_VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "PORT",
    "RESTRICT_TO_ASSIGNED",
    "ADMIN_USER_IDS",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
)


@dataclass(frozen=True)
class JobSettings:
    """Schedules and limits of the weekly retrain, the reps' digest and the sync (5-field
    crontab)."""

    retrain_cron: str = "0 2 * * mon"
    digest_cron: str = "0 8 * * mon"  # evaluated in each rep's own time zone
    scheduler_tz: str = "UTC"  # the retrain's time zone
    admin_channel: str = ""
    retrain_timeout_s: int = 3 * 3600
    retrain_grace_s: int = 6 * 3600  # a retrain missed by less than this still runs (once)
    digest_grace_s: int = 24 * 3600  # likewise for a rep's digest
    digest_pace_per_s: float = 1.0  # chat.postMessage per second; 0 disables pacing
    digest_accounts: int = 10
    digest_picks: int = 3
    digest_workers: int = 4  # reps sent to at once (Slack and database round trips overlap)
    run_scheduler: bool = True  # `recbot serve` starts the scheduler too
    retrain_command: str = ""  # instead of `recbot train` (e.g. a container); shell-quoted
    sync_cron: str = ""  # its own schedule for `recbot sync` (else only before each retrain)
    sync_timeout_s: int = 2 * 3600
    sync_grace_s: int = 6 * 3600  # a sync missed by less than this still runs (once)

    @classmethod
    def from_env(cls) -> JobSettings:
        env = read_env(_JOB_VARS)
        pace = env["DIGEST_PACE"]
        try:
            pace_value = float(pace) if pace else 1.0
        except ValueError:
            pace_value = -1.0
        if not 0 <= pace_value <= 1000:
            raise RecbotError(
                f"DIGEST_PACE must be messages per second from 0 to 1000, got {pace!r}"
            )
        return cls(
            retrain_cron=cron_value("RETRAIN_CRON", env["RETRAIN_CRON"], cls.retrain_cron),
            digest_cron=cron_value("DIGEST_CRON", env["DIGEST_CRON"], cls.digest_cron),
            scheduler_tz=zone_value("SCHEDULER_TZ", env["SCHEDULER_TZ"] or "UTC"),
            admin_channel=env["ADMIN_CHANNEL"],
            retrain_timeout_s=int_value(
                "RETRAIN_TIMEOUT", env["RETRAIN_TIMEOUT"], 3 * 3600, 10, 7 * 24 * 3600
            ),
            digest_pace_per_s=pace_value,
            digest_accounts=int_value("DIGEST_ACCOUNTS", env["DIGEST_ACCOUNTS"], 10, 1, 40),
            digest_picks=int_value("DIGEST_PICKS", env["DIGEST_PICKS"], 3, 1, 5),
            digest_workers=int_value("DIGEST_WORKERS", env["DIGEST_WORKERS"], 4, 1, 32),
            run_scheduler=not env["SCHEDULER"] or bool_value("SCHEDULER", env["SCHEDULER"]),
            retrain_command=env["RETRAIN_COMMAND"],
            sync_cron=cron_value("SYNC_CRON", env["SYNC_CRON"], "0 5 * * *")
            if env["SYNC_CRON"]
            else "",
            sync_timeout_s=int_value("SYNC_TIMEOUT", env["SYNC_TIMEOUT"], 2 * 3600, 10, 24 * 3600),
        )


_JOB_VARS = (
    "RETRAIN_CRON",
    "DIGEST_CRON",
    "SCHEDULER_TZ",
    "ADMIN_CHANNEL",
    "RETRAIN_TIMEOUT",
    "DIGEST_PACE",
    "DIGEST_ACCOUNTS",
    "DIGEST_PICKS",
    "SCHEDULER",
    "RETRAIN_COMMAND",
    "DIGEST_WORKERS",
    "SYNC_CRON",
    "SYNC_TIMEOUT",
)


def _api_url(value: str) -> str:
    if not value:
        return DEFAULT_SLACK_API_URL
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise RecbotError(f"SLACK_API_URL must be an http(s) URL, got {value!r}")
    return value if value.endswith("/") else value + "/"
