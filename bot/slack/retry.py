"""When to try a Slack call again, and how long to wait: a pure policy, no I/O.

A 429 waits what Slack's `Retry-After` says; 5xx answers, dropped connections and Slack's own
transient errors back off exponentially up to a minute; anything else Slack refused is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 60.0
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error",
                              "service_unavailable", "request_timeout",
                              "team_added_to_org"})  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """What to do after a failed attempt."""

    retry: bool
    delay: timedelta  # before the next attempt (when retrying)
    reason: str
    # Whether the attempt counts towards MAX_ATTEMPTS: a 429 does not, since Slack said when
    # to come back, and a long rate limit must delay a reply, never drop it.
    counts: bool = True


def retry_after(headers: Mapping[str, object] | None) -> float | None:
    """Seconds from a 429's Retry-After header (1 when it is missing or unreadable)."""
    if headers is None:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else 1.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0


def backoff(attempts: int, wait: float | None = None) -> timedelta:
    """The pause before the next try: what Slack asked for, else 2^attempts, capped."""
    seconds = wait if wait is not None else min(2.0**attempts, MAX_BACKOFF_SECONDS)
    return timedelta(seconds=seconds)


def after_slack_error(
    status: int, error: str, attempts: int, headers: Mapping[str, object] | None = None
) -> Verdict:
    """Slack answered with an error: retry transient ones, give up on the rest."""
    reason = f"HTTP {status} {error}".strip()
    if status == 429 or status >= 500 or error in TRANSIENT_ERRORS:
        if status == 429:
            return Verdict(True, backoff(attempts, retry_after(headers)), reason, counts=False)
        return Verdict(True, backoff(attempts), reason)
    return Verdict(False, timedelta(0), error or reason)


def after_connection_error(attempts: int, detail: str) -> Verdict:
    """No answer at all (refused, reset, timed out): always worth another try."""
    return Verdict(True, backoff(attempts), f"connection error: {detail}")


def exhausted(attempts: int) -> bool:
    """True once a call has been tried as often as it ever will be."""
    return attempts >= MAX_ATTEMPTS
