"""What listeners need besides the Slack request: put into Bolt's context by bot.app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine

from bot.exposure_log import ExposureLog
from bot.settings import SlackSettings
from db import serving
from db.customer_search import CustomerNames
from db.exposures import ExposureRow
from db.serving import LiveModel


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Deps:
    engine: Engine
    settings: SlackSettings
    names: CustomerNames = field(default_factory=CustomerNames)
    now: Callable[[], datetime] = _utcnow
    # The scheduler plugs in the next retrain time; None shows "not scheduled".
    next_retrain: Callable[[], datetime | None] = lambda: None
    # Where shown recommendations go (None: not logged, EXPOSURE_LOG=off).
    exposures: ExposureLog | None = None
    # A promotion reaches answers within this many seconds; saves a query per request.
    live_ttl_s: float = 5.0
    _live: tuple[float, LiveModel | None] | None = field(default=None, init=False, repr=False)

    def live_model(self, conn: Connection) -> LiveModel | None:
        cached, now = self._live, time.monotonic()
        if cached is not None and now - cached[0] < self.live_ttl_s:
            return cached[1]
        model = serving.live_model(conn)
        self._live = (now, model)
        return model

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A pooled connection for one request's reads (and its few writes, which commit)."""
        with self.engine.connect() as conn:
            yield conn

    def __deepcopy__(self, memo: dict) -> Deps:
        # Bolt deep-copies the context for lazy listeners; this is a shared service, not data.
        return self

    def shown(self, rows: list[ExposureRow]) -> None:
        """Log what a surface showed (queued; never fails or slows the answer)."""
        if self.exposures is not None:
            self.exposures.record(rows)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.settings.admin_user_ids
