"""Reading settings from the environment: each bad value is one RecbotError naming the variable."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dotenv import load_dotenv

from core.errors import RecbotError

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def read_env(names: tuple[str, ...]) -> dict[str, str]:
    """The named variables, stripped ('' when unset); a `.env` in the working directory fills in."""
    load_dotenv(Path.cwd() / ".env", override=False)
    return {name: os.environ.get(name, "").strip() for name in names}


def int_value(name: str, value: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise RecbotError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return number


def bool_value(name: str, value: str) -> bool:
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise RecbotError(f"{name} must be true or false, got {value!r}")


def user_ids_value(value: str) -> frozenset[str]:
    ids = frozenset(part.strip() for part in value.split(",") if part.strip())
    bad = sorted(i for i in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", i))
    if bad:
        raise RecbotError(f"ADMIN_USER_IDS must be Slack user ids like U012ABCDEF, got {bad[0]!r}")
    return ids


def cron_value(name: str, value: str, default: str) -> str:
    if not value:
        return default
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise RecbotError(f"{name} must be a 5-field crontab like {default!r}: {exc}") from None
    return value


def zone_value(name: str, value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecbotError(
            f"{name} must be an IANA time zone like Europe/Berlin, got {value!r}"
        ) from None
    return value
