"""The outbox: Slack calls are stored first and sent later by the gateway (bot/slack/gateway.py).

A reply is never lost to a 429, a 5xx or a dropped connection: it waits here until Slack says ok.
An idempotency key makes a repeated write a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.service.vocabulary import CardLink, OutboxStatus
from bot.store.rows import OutboxMessage
from bot.store.unit_of_work import Store


class Outbox:
    """Writes Slack calls to send."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def add(
        self,
        method: str,
        params: dict,
        *,
        key: str | None = None,
        user_id: str | None = None,
        escalation_id: int | None = None,
        card_link: CardLink | None = None,
    ) -> bool:
        """Queue a call; False when a call with this key was queued before. With a
        `card_link`, the call posts, edits or replies under escalation `escalation_id`'s card."""
        now = self.clock()
        row = OutboxMessage(
            key=key, method=method, channel=str(params.get("channel", "")), params=params,
            user_id=user_id, status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now,
            created_at=now, escalation_id=escalation_id, card_link=card_link,
        )  # fmt: skip
        with self.store.unit_of_work() as uow:
            added = uow.outbox.add(row)
            uow.commit()
        return added

    def sent(self, key: str) -> tuple[str, str] | None:
        """Where the call queued under `key` posted its message (channel, ts), once sent."""
        with self.store.unit_of_work() as uow:
            return uow.outbox.sent(key)

    def pending(self) -> int:
        """Calls not yet sent (waiting or being sent)."""
        with self.store.unit_of_work() as uow:
            return uow.outbox.unsent_count()
