"""The store's settings, from the environment or a .env file: which database, and where the
sources of `recbot sync` are described."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.env import int_value, read_env
from core.errors import RecbotError

DEFAULT_DATABASE_URL = "sqlite:///recbot.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_url_is_default: bool

    @classmethod
    def from_env(cls) -> Settings:
        url = read_env(("DATABASE_URL",))["DATABASE_URL"]
        return cls(database_url=url or DEFAULT_DATABASE_URL, database_url_is_default=not url)


DEFAULT_SOURCES_FILE = "sources.yml"


@dataclass(frozen=True)
class SyncSettings:
    """Where `recbot sync` finds its sources, and how far back an incremental run looks again."""

    sources_file: Path
    sources_file_is_default: bool
    overlap_days: int = 3

    @classmethod
    def from_env(cls) -> SyncSettings:
        env = read_env(("SOURCES_FILE", "SYNC_OVERLAP_DAYS"))
        return cls(
            sources_file=Path(env["SOURCES_FILE"] or DEFAULT_SOURCES_FILE),
            sources_file_is_default=not env["SOURCES_FILE"],
            overlap_days=int_value("SYNC_OVERLAP_DAYS", env["SYNC_OVERLAP_DAYS"], 3, 0, 365),
        )

    @property
    def configured(self) -> bool:
        """Whether there are sources to sync: the file exists (an explicit path must)."""
        return self.sources_file.is_file() or not self.sources_file_is_default


@dataclass(frozen=True)
class ServingSettings:
    """How the rules shape every answer (db/arrange.py): how many of the top n places promoted
    products may take, and at most how many picks of one category a list shows (0: no cap)."""

    promotion_slots: int = 1
    max_per_category: int = 0

    @classmethod
    def from_env(cls) -> ServingSettings:
        env = read_env(("PROMOTION_SLOTS", "MAX_PER_CATEGORY"))
        return cls(
            promotion_slots=int_value("PROMOTION_SLOTS", env["PROMOTION_SLOTS"], 1, 0, 10),
            max_per_category=int_value("MAX_PER_CATEGORY", env["MAX_PER_CATEGORY"], 0, 0, 50),
        )


@dataclass(frozen=True)
class OutcomeSettings:
    """The closed loop (db/exposures.py, db/outcomes.py): whether shown recommendations are
    logged, how long after being shown a purchase counts as a hit, and the share of accounts
    held out of digests (chosen by a seeded hash of the account's id, so the same accounts stay
    out week after week)."""

    log_exposures: bool = True
    attribution_days: int = 30
    holdout_share: float = 0.10
    holdout_seed: str = "recbot-holdout"
    # > 0: the promotion gate holds a new version when the live hit rate of these last weeks
    # fell after the last promotion (model/registry.py: live_hit_rate_fall).
    gate_live_weeks: int = 0

    @classmethod
    def from_env(cls) -> OutcomeSettings:
        env = read_env(
            (
                "EXPOSURE_LOG",
                "ATTRIBUTION_DAYS",
                "HOLDOUT_PERCENT",
                "HOLDOUT_SEED",
                "GATE_LIVE_WEEKS",
            )
        )
        log = env["EXPOSURE_LOG"].lower()
        if log not in ("", "on", "off"):
            raise RecbotError(f"EXPOSURE_LOG must be on or off, got {env['EXPOSURE_LOG']!r}")
        days = int_value("ATTRIBUTION_DAYS", env["ATTRIBUTION_DAYS"], 30, 1, 365)
        percent = int_value("HOLDOUT_PERCENT", env["HOLDOUT_PERCENT"], 10, 0, 50)
        return cls(
            log_exposures=log != "off",
            attribution_days=days,
            holdout_share=percent / 100,
            holdout_seed=env["HOLDOUT_SEED"] or "recbot-holdout",
            gate_live_weeks=int_value("GATE_LIVE_WEEKS", env["GATE_LIVE_WEEKS"], 0, 0, 52),
        )
