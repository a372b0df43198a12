"""Keep a run of Slack calls under Slack's rate limits instead of leaning on 429s.

chat.postMessage: about one message per second per channel (each digest goes to a different
DM, so the binding limit is the workspace-wide one, which this paces to `post_per_s`).
conversations.open, users.lookupByEmail, conversations.history: Tier 3, about 50 per minute.
slack_sdk's retry handler still honours any 429's Retry-After as the backstop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

TIER3_PER_S = 50 / 60


class Pacer:
    """Spaces calls of each method at least 1/rate apart; a rate of 0 disables pacing."""

    def __init__(
        self,
        post_per_s: float,
        tier3_per_s: float = TIER3_PER_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.enabled = post_per_s > 0
        self._interval = {"chat.postMessage": 1 / post_per_s if post_per_s else 0.0}
        self._tier3 = 1 / tier3_per_s if tier3_per_s else 0.0
        self._next: dict[str, float] = {}
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()

    def wait(self, method: str) -> float:
        """Block until `method` may be called; returns the seconds waited."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            at = max(now, self._next.get(method, now))
            self._next[method] = at + self._interval.get(method, self._tier3)
        waited = at - now
        if waited > 0:
            self._sleep(waited)
        return waited
