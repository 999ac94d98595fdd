"""Rows of the Slack gateway's own tables: the inbox of events and the outbox of calls.

The service never sees these; the Slack adapter does, through bot/store/gateway_repos.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.service.vocabulary import OutboxStatus


@dataclass(eq=False)
class InboundEvent:
    """A Slack event as received: unique keys make a retried or doubled delivery land once."""

    event_id: str
    kind: str
    payload: dict
    received_at: datetime
    dedup_key: str | None = None
    user_id: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    processed_at: datetime | None = None
    attempts: int = 0
    error: str | None = None
    id: int | None = None


@dataclass(eq=False)
class OutboxMessage:
    """A Slack call to make, with what it needs from an escalation's card, if anything."""

    method: str
    channel: str
    params: dict
    next_attempt_at: datetime
    created_at: datetime
    key: str | None = None
    user_id: str | None = None
    status: str = OutboxStatus.PENDING
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None
    escalation_id: int | None = None
    card_link: str | None = None  # a CardLink, with escalation_id
    sent_ts: str | None = None  # the message's ts once Slack posted it
    id: int | None = None
