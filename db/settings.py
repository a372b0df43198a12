"""Settings from environment variables (and an optional .env file in the working directory)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

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
