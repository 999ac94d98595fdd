"""The inbox: Slack events recorded before they are acknowledged, processed once.

Recording happens in a Bolt middleware, which runs before the HTTP 200 goes back to Slack. A
retry of the same event, or the same message delivered again as an `app_mention`, finds its
row already there and is acknowledged without being processed twice. A row that is never
marked processed (the process died) is claimed again once its lease runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.service.redaction import redact
from bot.store.rows import InboundEvent
from bot.store.unit_of_work import Store

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # how long a worker may take before others step in
MAX_ATTEMPTS = 5
MAX_ERROR = 2000  # characters of an error kept on the row


def dedup_key(event: dict) -> str | None:
    """One key per message however Slack delivers it (`message` or `app_mention`)."""
    is_message = event.get("type") in ("message", "app_mention")
    answered = event.get("subtype") in (None, "file_share", "thread_broadcast")
    if is_message and answered and event.get("ts") and event.get("channel"):
        return f"{event['channel']}:{event['ts']}"
    return None


class Inbox:
    """Records events and hands out the ones still to process."""

    def __init__(self, store: Store, worker: str, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.worker = worker
        self.clock = clock

    def record(self, envelope: dict) -> int | None:
        """Store the event, claimed by this worker; None when it was seen before."""
        event = dict(envelope.get("event") or {})
        if isinstance(event.get("text"), str):
            event["text"] = redact(event["text"])  # card numbers never reach the database
        now = self.clock()
        row = InboundEvent(
            event_id=str(envelope.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"),
            dedup_key=dedup_key(event),
            kind=str(event.get("type", "")),
            user_id=event.get("user"),
            payload={"event": event, "team_id": envelope.get("team_id")},
            received_at=now,
            claimed_by=self.worker,
            claimed_until=now + LEASE,
            attempts=1,
        )
        with self.store.unit_of_work() as uow:
            row_id = uow.inbox.add(row)
            uow.commit()
            return row_id

    def done(self, row_id: int) -> None:
        with self.store.unit_of_work() as uow:
            uow.inbox.mark_done(row_id, self.clock())
            uow.commit()

    def failed(self, row_id: int, error: str) -> None:
        """Keep the error; the row is retried when its lease runs out (up to a limit)."""
        with self.store.unit_of_work() as uow:
            uow.inbox.mark_failed(row_id, error[:MAX_ERROR])
            uow.commit()

    def claim_stranded(self, limit: int = 200) -> list[tuple[int, dict]]:
        """Events nobody finished: received, never processed, lease run out."""
        with self.store.unit_of_work() as uow:
            claimed = uow.inbox.claim_stranded(self.worker, self.clock(), LEASE, MAX_ATTEMPTS,
                                               limit)  # fmt: skip
            uow.commit()
        for row_id, _ in claimed:
            log.warning("processing event %s again: it was received but never finished", row_id)
        return claimed
