"""What the service keeps: plain records, mapped onto tables by the store (bot/store/mapping.py).

The service reads and changes these objects; the unit of work saves what changed when it
commits. They carry ids, never links to other records, so an in-memory store (the tests'
FakeStore) holds exactly what the database holds.

`eq=False` keeps identity semantics: two loads of one row in a unit of work are one object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.service.vocabulary import (
    ConversationStatus,
    EscalationStatus,
    StageSource,
)


@dataclass(eq=False)
class Customer:
    """A Slack user in a workspace, their stage and the scores kept at each contact."""

    team_id: str
    user_id: str
    stage: str
    first_seen: datetime
    last_seen: datetime
    locale: str | None = None
    stage_source: str = StageSource.DEFAULT
    # Kept up to date at each contact (lifecycle/scores.py): summaries never re-read messages.
    lead_score: float = 0.0
    lead_scored_at: datetime | None = None
    usual_gap_days: float | None = None
    last_conversation_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Conversation:
    """One customer's conversation in a channel (and thread), tagged with a stage."""

    customer_id: int
    channel: str
    stage: str
    opened_at: datetime
    last_activity_at: datetime
    thread_ts: str = ""
    status: str = ConversationStatus.OPEN
    resolved_at: datetime | None = None
    resolution: str | None = None
    # When the timers must next look at this conversation (while it is open): the idle check
    # after the last activity, then the close as abandoned. Indexed, so a timer pass reads
    # only what is due.
    due_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Message:
    """A customer's message, the app's reply or an agent's, with what search made of it."""

    conversation_id: int
    role: str
    text: str
    created_at: datetime
    language: str | None = None
    slack_ts: str | None = None
    # For customer messages: what search decided; for replies: what was shown.
    decision: str | None = None
    article_id: str | None = None
    score: float | None = None
    reply_to_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class StageChange:
    """A customer's move from one stage to another, and why."""

    customer_id: int
    to_stage: str
    at: datetime
    conversation_id: int | None = None
    from_stage: str | None = None
    reason: str = ""
    source: str = StageSource.AUTO
    actor: str | None = None
    id: int | None = None


@dataclass(eq=False)
class Escalation:
    """A live agent called into a conversation, with the reasons they will read."""

    conversation_id: int
    stage: str
    created_at: datetime
    signals: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0
    status: str = EscalationStatus.OPEN
    assigned_agent: str | None = None
    agent_channel: str | None = None
    agent_thread_ts: str | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    reminded_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class Satisfaction:
    """The customer's one-tap verdict after an agent resolved their escalation."""

    escalation_id: int
    conversation_id: int
    satisfied: bool
    stage: str
    at: datetime
    id: int | None = None


@dataclass(eq=False)
class ArticleDraft:
    """An agent's answer proposed as a knowledge-base article, until a lead decides."""

    author: str
    article_id: str
    title: str
    questions: list[str]
    answer: str
    stages: list[str]
    locale: str
    status: str
    created_at: datetime
    conversation_id: int | None = None
    escalation_id: int | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    path: str | None = None
    id: int | None = None


@dataclass(eq=False)
class Feedback:
    """Whether an answer helped, with the conversation's stage when it was rated."""

    message_id: int
    helpful: bool
    at: datetime
    stage: str | None = None
    id: int | None = None
