"""Cron arithmetic with an injected `now`: the latest due occurrence, the next one, period keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

_LOOKBACKS = (
    timedelta(hours=2),
    timedelta(days=2),
    timedelta(days=8),
    timedelta(days=32),
    timedelta(days=367),
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def naive_utc(when: datetime) -> datetime:
    """How the database stores times: naive UTC."""
    return when.astimezone(UTC).replace(tzinfo=None)


@lru_cache(maxsize=256)
def trigger(cron: str, tz: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=tz)


def last_occurrence(cron: str, tz: str, now: datetime) -> datetime | None:
    """The latest time at or before `now` the crontab fired in time zone `tz` (aware, in tz)."""
    trig = trigger(cron, tz)
    for back in _LOOKBACKS:
        fire = trig.get_next_fire_time(None, now - back)
        if fire is None or fire > now:
            continue
        while True:
            following = trig.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if following is None or following > now:
                return fire
            fire = following
    return None


def next_occurrence(cron: str, tz: str, now: datetime) -> datetime | None:
    return trigger(cron, tz).get_next_fire_time(None, now + timedelta(microseconds=1))


def period_key(occurrence: datetime) -> str:
    """The local wall-clock time of an occurrence, e.g. '2026-11-23T08:00'.

    For the digest this is the same string for every rep whatever their time zone (Monday 08:00
    is Monday 08:00 everywhere), so one period groups a week's digests across zones.
    """
    return occurrence.strftime("%Y-%m-%dT%H:%M")
