"""The store's settings, from the environment or a .env file: which database, and where the
sources of `recbot sync` are described."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.env import int_value, read_env

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
