"""What every command shares: settings and a lazily made, schema-checked engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import click
from sqlalchemy import Engine

from db.migrate import ensure_schema
from db.session import make_engine
from db.settings import Settings


@dataclass
class CliContext:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> CliContext:
        return cls(Settings.from_env())

    def raw_engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def engine(self) -> Engine:
        """The engine, after checking the schema is current (the embedded default self-upgrades)."""
        engine = self.raw_engine()
        ensure_schema(engine, auto_upgrade=self.settings.database_url_is_default)
        return engine


pass_context = click.make_pass_decorator(CliContext)
