"""About one message per second per channel, as Slack asks: who sent where, and when."""

from __future__ import annotations

import threading
import time

PACE_SECONDS = 1.0


class Pacer:
    """Remembers each channel's last send in this process (thread-safe)."""

    def __init__(self, pace: float = PACE_SECONDS) -> None:
        self.pace = pace
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def too_soon(self, channel: str) -> bool:
        """True when this process sent to `channel` less than a pace ago."""
        with self._lock:
            return self._last.get(channel, 0.0) > time.monotonic() - self.pace

    def sent(self, channel: str) -> None:
        with self._lock:
            self._last[channel] = time.monotonic()
