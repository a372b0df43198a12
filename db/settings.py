"""The store's one setting, which database: from the environment or a .env file."""

from __future__ import annotations

from dataclasses import dataclass

from core.env import read_env

DEFAULT_DATABASE_URL = "sqlite:///recbot.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    database_url_is_default: bool

    @classmethod
    def from_env(cls) -> Settings:
        url = read_env(("DATABASE_URL",))["DATABASE_URL"]
        return cls(database_url=url or DEFAULT_DATABASE_URL, database_url_is_default=not url)
