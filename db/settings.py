"""Settings from environment variables (and an optional .env file in the working directory)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from db.errors import RecbotError

DEFAULT_DATABASE_URL = "sqlite:///recbot.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_url_is_default: bool

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(Path.cwd() / ".env", override=False)
        url = os.environ.get("DATABASE_URL", "").strip()
        return cls(database_url=url or DEFAULT_DATABASE_URL, database_url_is_default=not url)


# --- Slack (issue #4) --------------------------------------------------------------------------

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


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
        load_dotenv(Path.cwd() / ".env", override=False)
        env = {k: os.environ.get(k, "").strip() for k in _SLACK_VARS}
        return cls(
            bot_token=env["SLACK_BOT_TOKEN"],
            signing_secret=env["SLACK_SIGNING_SECRET"],
            app_token=env["SLACK_APP_TOKEN"],
            api_url=_api_url(env["SLACK_API_URL"]),
            port=_int("PORT", env["PORT"], 3000, 1, 65535),
            restrict_to_assigned=_bool("RESTRICT_TO_ASSIGNED", env["RESTRICT_TO_ASSIGNED"]),
            admin_user_ids=_user_ids(env["ADMIN_USER_IDS"]),
            web_workers=_int("WEB_CONCURRENCY", env["WEB_CONCURRENCY"], 2, 1, 64),
            web_threads=_int("WEB_THREADS", env["WEB_THREADS"], 4, 1, 256),
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


_SLACK_VARS = (
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "PORT",
    "RESTRICT_TO_ASSIGNED", "ADMIN_USER_IDS", "WEB_CONCURRENCY", "WEB_THREADS",
)


def _api_url(value: str) -> str:
    if not value:
        return DEFAULT_SLACK_API_URL
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise RecbotError(f"SLACK_API_URL must be an http(s) URL, got {value!r}")
    return value if value.endswith("/") else value + "/"


def _int(name: str, value: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise RecbotError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return number


def _bool(name: str, value: str) -> bool:
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise RecbotError(f"{name} must be true or false, got {value!r}")


def _user_ids(value: str) -> frozenset[str]:
    ids = frozenset(part.strip() for part in value.split(",") if part.strip())
    bad = sorted(i for i in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", i))
    if bad:
        raise RecbotError(f"ADMIN_USER_IDS must be Slack user ids like U012ABCDEF, got {bad[0]!r}")
    return ids
