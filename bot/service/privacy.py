"""Deleting personal data: one customer on request, or everything older than a cut-off.

The rules live here: who can be named (a Slack user id, in every workspace at once), and which
queued Slack calls may go (only finished ones: a pending reply is still owed to someone). The
store does the deleting (bot/store/erasure.py).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from bot.service.errors import InvalidUserIdError
from bot.service.ports import Store
from bot.service.vocabulary import OutboxStatus

USER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
FINISHED_CALLS = (OutboxStatus.SENT, OutboxStatus.FAILED)


class Privacy:
    """Erasure on request and by age."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def forget(self, user_id: str) -> Counter[str]:
        """Delete everything held about a Slack user (in every workspace): their customer
        record, conversations, messages, stage history, escalations, feedback, and queued or
        received Slack payloads that carry their words. Counts per kind."""
        if not USER_ID.match(user_id):
            raise InvalidUserIdError(f"{user_id!r} is not a user id")
        with self.store.unit_of_work() as uow:
            counts = uow.repo.erase_user(user_id)
            uow.commit()
        return counts

    def purge(self, before: datetime) -> Counter[str]:
        """Delete conversations whose last activity is before `before`, with all they hold,
        and received events and finished Slack calls older than that."""
        with self.store.unit_of_work() as uow:
            counts = uow.repo.erase_before(before, FINISHED_CALLS)
            uow.commit()
        return counts
