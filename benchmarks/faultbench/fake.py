"""The fake Slack Web API of the fault script: the load benchmark's recording fake, which can
also post a message and then answer so late that the app's client has given up."""

from __future__ import annotations

import threading
import time
from typing import Any

from benchmarks.loadbench.simulator import Load
from benchmarks.loadbench.slack_api import RecordingFake

# Which outbox keys are a reply to a customer's message (bot/slack/listeners/messages.py).
REPLY_KEYS = ("reply:", "feedback:")


def is_reply(message: dict[str, Any]) -> bool:
    """True for a posted message that answers a customer: a reply's key, or no key at all."""
    key = outbox_key(message)
    return key is None or key.startswith(REPLY_KEYS)


def outbox_key(message: dict[str, Any]) -> str | None:
    """The outbox key the app tagged a posted message with (Slack message metadata)."""
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    key = payload.get("key")
    return str(key) if key is not None else None


class FaultFake(RecordingFake):
    """The recording fake; accepted posts go to the current phase's load."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self._route, **kwargs)
        self.current: Load | None = None
        self._slow_lock = threading.Lock()
        self._slow_left = 0
        self._slow_seconds = 0.0
        self.slowed = 0  # posts answered late so far

    def _route(self, params: dict, at: float) -> None:
        load = self.current
        if load is not None:
            load.on_post(params, at)

    def slow_next(self, count: int, seconds: float) -> None:
        """Post the next `count` chat.postMessage calls at once, but answer `seconds` later."""
        with self._slow_lock:
            self._slow_left, self._slow_seconds = count, seconds

    def _take_slow(self) -> float:
        with self._slow_lock:
            if self._slow_left <= 0:
                return 0.0
            self._slow_left -= 1
            self.slowed += 1
            return self._slow_seconds

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        answer = super()._answer(method, p)  # the message is in the channel's history now
        if method == "chat.postMessage":
            delay = self._take_slow()
            if delay:
                time.sleep(delay)  # Slack has it; the answer comes after the client gave up
        return answer

    def clear_failures(self) -> None:
        """Drop failures queued by `fail_next` that no call has used yet."""
        with self._cond:
            self._failures.clear()

    def replies_in(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted in `channel` that answer a customer (untagged ones included)."""
        with self._lock:
            posted = list(self.history.get(channel, []))
        return [m for m in posted if is_reply(m)]

    def count_calls(self, method: str, since: float) -> int:
        """Calls to `method` that arrived at or after `since` (monotonic)."""
        return sum(1 for call in self.calls_to(method) if call.at >= since)
