"""One phase's traffic: customers in their own DMs, each writing once, delivered and redelivered
the way Slack does it (benchmarks/loadbench/simulator.py), and a prober asking /healthz."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from itertools import pairwise

from benchmarks.loadbench.simulator import Load, Target

SENDERS = 32  # threads posting events, Slack's side
PROBE_EVERY = 0.5
PROBE_TIMEOUT = 3.0


class PhaseLoad(Load):
    """The load benchmark's customers, one message each, their ids starting `U<prefix>` so a
    phase's DMs, inbox rows and outbox rows can be told apart in a shared database."""

    def __init__(self, prefix: str, port: int, rate: float, duration: float, seed: int) -> None:
        self.prefix = prefix
        total = int(round(rate * duration))
        super().__init__(Target([port]), rate, duration, total, SENDERS, seed)

    def _new_user(self) -> str:
        self.users_created += 1
        return f"U{self.prefix}{self.users_created:05d}"

    @property
    def user_prefix(self) -> str:
        """What every customer id of this phase starts with."""
        return f"U{self.prefix}"


class HealthProber(threading.Thread):
    """GET /healthz every PROBE_EVERY s; records (sent, answered, status or "timeout"/"error")."""

    def __init__(self, port: int) -> None:
        super().__init__(name="healthz-prober", daemon=True)
        self.port = port
        self.samples: list[tuple[float, float, int | str]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def run(self) -> None:
        """Probe until stopped."""
        while not self._stopping.wait(PROBE_EVERY):
            sent = time.monotonic()
            status = self._probe()
            with self._lock:
                self.samples.append((sent, time.monotonic(), status))

    def _probe(self) -> int | str:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PROBE_TIMEOUT)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            return response.status
        except TimeoutError:
            return "timeout"
        except OSError:
            return "error"
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop probing and wait for the last probe."""
        self._stopping.set()
        self.join(timeout=PROBE_TIMEOUT + 2)

    def statuses(self, start: float, end: float) -> Counter[int | str]:
        """What the probes sent between `start` and `end` (monotonic) got back."""
        with self._lock:
            return Counter(s for sent, _, s in self.samples if start <= sent <= end)

    def silences(self, start: float, end: float, longer_than: float) -> list[float]:
        """Stretches of `start`..`end` with no HTTP answer to any probe for over `longer_than`
        seconds (a 503 is an answer); each stretch's length."""
        with self._lock:
            answered = [done for _, done, s in self.samples
                        if isinstance(s, int) and start <= done <= end]  # fmt: skip
        points = [start, *answered, end]
        gaps = [later - earlier for earlier, later in pairwise(points)]
        return [gap for gap in gaps if gap > longer_than]
