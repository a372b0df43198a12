"""The Slack server's exposure writer: answers hand their rows over and return at once; a
thread of each server process writes them in batches (one transaction per batch).

Nothing here can fail an answer: `record` only appends to a bounded queue. A write that fails
(the database is away) keeps its rows for the next try; rows beyond `max_pending` are counted and
logged as lost, never dropped silently. The rows left at exit are written by an atexit hook.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence

from sqlalchemy import Engine

from db import exposures
from db.exposures import ExposureRow

log = logging.getLogger(__name__)


class ExposureLog:
    def __init__(
        self,
        engine: Engine,
        flush_every_s: float = 1.0,
        batch: int = 2000,
        max_pending: int = 100_000,
    ) -> None:
        self.engine = engine
        self.flush_every_s, self.batch, self.max_pending = flush_every_s, batch, max_pending
        self.written = self.lost = 0
        self._pending: deque[ExposureRow] = deque()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._pid: int | None = None  # the process whose thread runs (gunicorn forks workers)
        self._failing = False

    def record(self, rows: Sequence[ExposureRow]) -> None:
        """Queue rows for the writer thread; never raises, never waits on the database."""
        if not rows:
            return
        try:
            with self._lock:
                room = self.max_pending - len(self._pending)
                if room < len(rows):
                    self.lost += len(rows) - max(room, 0)
                    rows = rows[: max(room, 0)]
                    log.warning("exposure log full: %s rows lost so far", self.lost)
                self._pending.extend(rows)
            self._start()
            if len(self._pending) >= self.batch:
                self._wake.set()
        except Exception:  # an answer must not fail for its log
            log.exception("could not queue exposures")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Write everything queued now; returns how many rows were written."""
        done = 0
        with self._flushing:
            while True:
                with self._lock:
                    take = [
                        self._pending.popleft() for _ in range(min(self.batch, len(self._pending)))
                    ]
                if not take:
                    return done
                try:
                    with self.engine.begin() as conn:
                        exposures.write(conn, take)
                except Exception as exc:  # kept, in order, for the next flush
                    with self._lock:
                        self._pending.extendleft(reversed(take))
                    if not self._failing:
                        log.warning(
                            "could not write %s exposures (%s); kept for the next try",
                            len(take),
                            type(exc).__name__,
                        )
                    self._failing = True
                    return done
                if self._failing:
                    log.info("exposures are written again")
                self._failing = False
                done += len(take)
                self.written += len(take)

    def _start(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            self._pid = pid
            threading.Thread(target=self._run, name="exposure-log", daemon=True).start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_every_s)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("exposure writer")
