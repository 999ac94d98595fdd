"""What the desk's use cases return: plain values for the chat, Slack and replay to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.service.records import StageChange
from bot.service.vocabulary import Decision
from knowledge_base import Article
from lifecycle.scores import DissolutionRisk, LeadTemperature

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
    decision: Decision
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
    # Where the conversation lives, as stored: replies go there, whatever a payload claims.
    channel: str = ""
    thread_ts: str = ""
    rated_message_id: int | None = None  # for feedback outcomes: the answer that was rated


@dataclass(frozen=True)
class TimerEvent:
    """An escalation a timer raised: where the conversation is, and what to tell the customer."""

    conversation_id: int
    channel: str
    thread_ts: str
    escalation: EscalationInfo
    text: str


@dataclass(frozen=True)
class History:
    """What the desk knows of a returning customer."""

    stage: str
    locale: str | None
    conversations: int
    messages: int
    recent: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Card:
    """What an escalation card shows an agent."""

    escalation_id: int
    status: str
    customer_user: str
    customer_team: str
    stage: str
    stage_name: str
    reasons: tuple[str, ...]
    signals: tuple[str, ...]
    recent: tuple[tuple[str, str], ...]  # (role, redacted text), oldest first
    articles_tried: tuple[tuple[str, str], ...]  # (id, title)
    assigned_agent: str | None
    customer_channel: str
    customer_thread: str
    agent_channel: str | None
    agent_thread_ts: str | None
    created_at: datetime
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    # When the customer last wrote with no agent reply since: they are waiting from then.
    waiting_since: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class ClaimResult:
    """Who won a claim, and the card as it now is."""

    won: bool
    holder: str | None  # who has it now
    card: Card


@dataclass(frozen=True)
class Relay:
    """A message to deliver to a customer on an agent's behalf."""

    channel: str
    thread_ts: str
    text: str
    agent: str
    message_id: int  # the stored agent message: one delivery per message
    article: Article | None = None
    escalation_id: int | None = None


@dataclass(frozen=True)
class Edit:
    """A relayed message was edited or deleted at its source: its copy on the other side
    follows (`copy_key` is the outbox key the copy was sent under, if it was)."""

    escalation_id: int
    customer_user: str
    author: str
    text: str | None  # None: deleted
    copy_key: str | None
    to_customer: bool  # the agent's message changed, so the customer's copy does
    language: str | None = None
    copy_channel: str = ""  # where the copy is (the customer's channel, or the card's)


@dataclass(frozen=True)
class CustomerProfile:
    """A customer's stage, its history, and their scores."""

    user_id: str
    stage: str
    stage_source: str
    history: tuple[StageChange, ...]
    lead: LeadTemperature
    risk: DissolutionRisk


@dataclass(frozen=True)
class ConversationLine:
    """One conversation in a list for a lead: who, where, how long, what they last said."""

    user_id: str
    stage: str
    status: str
    waiting_minutes: float
    last_message: str
    escalation_id: int | None = None
    assigned_agent: str | None = None
