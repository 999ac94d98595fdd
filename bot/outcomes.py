"""What the desk's use cases return: plain values for the chat, Slack and replay to render."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge_base import Article

LOCAL_TEAM = "local"


@dataclass(frozen=True)
class CustomerRef:
    """Who is writing: a Slack user in a workspace (the terminal uses team `local`)."""

    user_id: str
    team_id: str = LOCAL_TEAM


@dataclass(frozen=True)
class EscalationInfo:
    """An escalation raised for a conversation, with the reasons an agent will read."""

    id: int
    stage: str
    score: float
    signals: tuple[str, ...]
    reasons: tuple[str, ...]
    new: bool


@dataclass(frozen=True)
class Reply:
    """What the app answers a customer, and what happened around it."""

    conversation_id: int
    decision: str  # answer, suggest, none, handover, relayed, or a feedback outcome
    text: str
    language: str
    stage: str
    message_id: int | None = None  # the stored reply, for feedback buttons
    article: Article | None = None
    suggestions: tuple[Article, ...] = ()
    stage_changed: bool = False
    stage_reason: str = ""
    escalation: EscalationInfo | None = None
    offer_human: bool = False


@dataclass(frozen=True)
class TimerEvent:
    """An escalation a timer raised: where the conversation is, and what to tell the customer."""

    conversation_id: int
    channel: str
    thread_ts: str
    escalation: EscalationInfo
    text: str


class UnknownStageError(ValueError):
    """A stage id that the stage model does not have."""

    def __init__(self, stage: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown stage {stage!r}; the stages are: {', '.join(known)}")
        self.stage = stage


@dataclass(frozen=True)
class History:
    """What the desk knows of a returning customer."""

    stage: str
    locale: str | None
    conversations: int
    messages: int
    recent: tuple[str, ...] = field(default_factory=tuple)
