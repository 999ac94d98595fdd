"""The fake Slack Web API the workers call (tests/scenario/fake_slack.py), telling the load which
chat.postMessage calls Slack accepted, and failing a few of them on purpose."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.scenario.fake_slack import FakeSlack

FAKE_LATENCY = (0.05, 0.15)
FAIL_RATE = 0.015  # share of chat.postMessage calls answered 429 or 500


class RecordingFake(FakeSlack):
    """The scenario fake, telling the benchmark about every chat.postMessage Slack accepted.

    The fake records a call before it decides whether to fail it; the call of this handler
    thread is kept aside so that only the ones answered `ok` count as delivered.
    """

    def __init__(self, on_post: Callable[[dict, float], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_post = on_post
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self.posts_ok = 0
        self.posts_failed = 0

    def _record(self, call) -> None:  # noqa: ANN001 - a Call
        self._local.call = call
        super()._record(call)

    def _take_failure(self, method: str):  # noqa: ANN202
        failure = super()._take_failure(method)
        call = getattr(self._local, "call", None)
        if method == "chat.postMessage" and call is not None and call.method == method:
            with self._count_lock:
                if failure is None:
                    self.posts_ok += 1
                else:
                    self.posts_failed += 1
            if failure is None:
                self._on_post(call.params, time.monotonic())
        return failure

    def start(self) -> RecordingFake:
        """Serve, as the scenario fake does, without a traceback for a client that hung up."""
        super().start()
        server = self._server
        assert server is not None
        default = server.handle_error

        def handle_error(request, client_address) -> None:  # noqa: ANN001
            # A worker killed or stopped while the fake answers it: expected here, not news.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                default(request, client_address)

        server.handle_error = handle_error  # type: ignore[method-assign]
        return self

    @property
    def posts(self) -> int:
        """chat.postMessage calls answered so far, accepted or failed."""
        with self._count_lock:
            return self.posts_ok + self.posts_failed


class FailureInjector(threading.Thread):
    """Every so many chat.postMessage calls (about 1 in 1/rate), make the next one fail with
    429 (Retry-After: 1) or 500, through the fake's own `fail_next`."""

    def __init__(self, fake: RecordingFake, rate: float, seed: int) -> None:
        super().__init__(name="failure-injector", daemon=True)
        self.fake, self.rate = fake, rate
        self.rng = random.Random(seed)
        self.injected: Counter[int] = Counter()
        self._stop = threading.Event()

    def run(self) -> None:
        """Watch the count of posts and queue a failure each time the next gap is reached."""
        if self.rate <= 0:
            return
        last, gap = 0, self._gap()
        while not self._stop.wait(0.02):
            total = self.fake.posts
            if total - last >= gap:
                status = self.rng.choice((429, 500))
                self.fake.fail_next("chat.postMessage", status,
                                    retry_after=1 if status == 429 else None)  # fmt: skip
                self.injected[status] += 1
                last, gap = total, self._gap()

    def _gap(self) -> int:
        return max(1, round(self.rng.uniform(0.5, 1.5) / self.rate))

    def stop(self) -> None:
        """Inject no more failures."""
        self._stop.set()
