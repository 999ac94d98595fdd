"""The project's one vocabulary: every status, decision, role and key the layers share.

Each value is what the database stores and what Slack payloads carry, so changing one is a
migration, not a rename. They are `StrEnum`s: a member equals its string, so rows written
before these enums existed read back as members, and JSON and SQL see plain text.
"""

from __future__ import annotations

from enum import StrEnum

from knowledge_base.search import SearchDecision


class Role(StrEnum):
    """Who wrote a message."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"


class ConversationStatus(StrEnum):
    """Where a conversation is: the app answers it, a person is called or on it, or it ended."""

    OPEN = "open"
    ESCALATED = "escalated"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


# The app or a person is still on these.
ACTIVE_STATUSES = (
    ConversationStatus.OPEN,
    ConversationStatus.ESCALATED,
    ConversationStatus.CLAIMED,
)


class EscalationStatus(StrEnum):
    """An escalation waits for an agent, is held by one, or was handed back."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """How a conversation ended."""

    SELF_SERVICE = "self_service"
    BY_AGENT = "agent"
    ABANDONED = "abandoned"


class StageSource(StrEnum):
    """Where a customer's stage came from."""

    DEFAULT = "default"
    AUTO = "auto"
    MANUAL = "manual"


class Decision(StrEnum):
    """What was done with a message: stored on customer messages and on the app's replies."""

    # What search decided (knowledge_base owns these three).
    ANSWER = SearchDecision.ANSWER.value
    SUGGEST = SearchDecision.SUGGEST.value
    NONE = SearchDecision.NONE.value
    HANDOVER = "handover"  # a person takes over
    RELAYED = "relayed"  # passed on to the agent already on it
    SMALLTALK = "smalltalk"  # "hello!": not a question
    CLOSING = "closing"  # "found it, thanks": the customer's need is met
    HUMAN = "human"  # the customer asked for a person
    HELPFUL = "helpful"  # feedback outcomes
    NOT_HELPFUL = "not_helpful"
    AGENT = "agent"  # written by an agent


class OutboxStatus(StrEnum):
    """A queued Slack call: waiting, being sent by a worker, done, or given up on."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class CardLink(StrEnum):
    """How a queued Slack call relates to an escalation's card in the agents' channel."""

    POST = "post"  # posts the card: its ts is kept on the escalation once sent
    UPDATE = "update"  # edits the card: needs the card's ts
    THREAD = "thread"  # replies in the card's thread: needs the card's ts


class Audience(StrEnum):
    """Who a view is for (the App Home differs for each)."""

    CUSTOMER = "customer"
    AGENT = "agent"
    LEAD = "lead"


class DraftStatus(StrEnum):
    """An agent's answer proposed as an article: waiting for a lead, approved, or rejected."""

    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"


class Phrase(StrEnum):
    """Keys of what the app says in each language (bot/service/phrasebook.py)."""

    BTN_HELPFUL = "btn_helpful"
    BTN_NOT_HELPFUL = "btn_not_helpful"
    BTN_HUMAN = "btn_human"
    AGENT_JOINED = "agent_joined"
    HANDED_BACK = "handed_back"
    SUGGEST = "suggest"
    NONE = "none"
    HANDOVER = "handover"
    RELAYED = "relayed"
    OFFER = "offer"
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"
    NOTHING_TO_RATE = "nothing_to_rate"
    THANKS = "thanks"
    GREETING = "greeting"
    CSAT_QUESTION = "csat_question"
    BTN_SATISFIED = "btn_satisfied"
    BTN_UNSATISFIED = "btn_unsatisfied"
    CSAT_THANKS = "csat_thanks"
    EDITED = "edited"
    DELETED = "deleted"
    OTHER_LANGUAGE = "other_language"
