"""The tables, as SQLAlchemy Core sees them. The schema itself is made only by the migrations.

The records the service works with are plain dataclasses (bot/service/records.py) mapped onto
these tables in bot/store/mapping.py: the service then never imports SQLAlchemy, and an
in-memory store can hold the very same objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.mutable import MutableList

from bot.service.vocabulary import (
    ConversationStatus,
    Decision,
    EscalationStatus,
    OutboxStatus,
    Role,
    StageSource,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (no time zones) as well."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("locale", String(8)),
    Column("stage", String(32), nullable=False),
    Column("stage_source", String(16), nullable=False, default=StageSource.DEFAULT.value),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False, index=True),
    Column("lead_score", Float, nullable=False, default=0.0, server_default="0", index=True),
    Column("lead_scored_at", UTCDateTime()),
    Column("usual_gap_days", Float),
    Column("last_conversation_at", UTCDateTime()),
    UniqueConstraint("team_id", "user_id", name="uq_customers_team_user"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("thread_ts", String(32), nullable=False, default=""),
    Column("stage", String(32), nullable=False),
    Column(
        "status", String(16), nullable=False, default=ConversationStatus.OPEN.value, index=True
    ),  # fmt: skip
    Column("opened_at", UTCDateTime(), nullable=False, index=True),
    Column("last_activity_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
    Column("resolution", String(16)),
    Column("due_at", UTCDateTime()),
    Index("ix_conversations_lookup", "customer_id", "channel", "thread_ts", "status"),
    Index("ix_conversations_due", "status", "due_at"),
    Index("ix_conversations_stage_opened", "opened_at", "stage"),
)

# The summary's "asked without an answer" reads only these rows (a partial index).
_UNANSWERED = sql_text(f"decision = '{Decision.NONE}' AND role = '{Role.CUSTOMER}'")

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "conversation_id",
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),  # fmt: skip
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8)),
    Column("slack_ts", String(32), index=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("decision", String(16)),
    Column("article_id", String(128)),
    Column("score", Float),
    Column("reply_to_id", ForeignKey("messages.id")),
    Index(
        "ix_messages_unanswered",
        "created_at",
        sqlite_where=_UNANSWERED,
        postgresql_where=_UNANSWERED,
    ),  # fmt: skip
)

stage_changes = Table(
    "stage_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    ),  # fmt: skip
    # Indexed: every customer message and idle check reads its conversation's earlier stages,
    # and without it that read scans every stage change ever stored (cost grew with the table).
    Column("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), index=True),
    Column("from_stage", String(32)),
    Column("to_stage", String(32), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("source", String(16), nullable=False, default=StageSource.AUTO.value),
    Column("actor", String(64)),
    Column("at", UTCDateTime(), nullable=False, index=True),
)

# Two workers escalating one conversation at once: the database keeps one open escalation.
_NOT_RESOLVED = sql_text(f"status != '{EscalationStatus.RESOLVED}'")

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "conversation_id",
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),  # fmt: skip
    Column("stage", String(32), nullable=False),
    # MutableList: a list changed in place (`reasons.append(...)`) is saved, as in the fake.
    Column("signals", MutableList.as_mutable(JSON()), nullable=False, default=list),
    Column("reasons", MutableList.as_mutable(JSON()), nullable=False, default=list),
    Column("score", Float, nullable=False, default=0.0),
    Column(
        "status", String(16), nullable=False, default=EscalationStatus.OPEN.value, index=True
    ),  # fmt: skip
    Column("assigned_agent", String(64)),
    Column("agent_channel", String(64)),
    Column("agent_thread_ts", String(32)),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("claimed_at", UTCDateTime()),
    Column("resolved_at", UTCDateTime()),
    Column("reminded_at", UTCDateTime()),
    Index(
        "uq_escalations_one_open",
        "conversation_id",
        unique=True,
        sqlite_where=_NOT_RESOLVED,
        postgresql_where=_NOT_RESOLVED,
    ),  # fmt: skip
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    # The stage when the answer was rated: satisfaction per stage is one small grouped scan.
    Column("stage", String(32)),
    UniqueConstraint("message_id", name="uq_feedback_message"),
)

# The customer's answer to "did we solve it?" after an agent resolved their escalation.
satisfaction = Table(
    "satisfaction",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("escalation_id", ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False),
    Column(
        "conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    ),  # fmt: skip
    Column("satisfied", Boolean, nullable=False),
    # The escalation's stage: satisfaction per stage is one small grouped scan.
    Column("stage", String(32), nullable=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    UniqueConstraint("escalation_id", name="uq_satisfaction_escalation"),
)

# An agent's answer on its way to becoming an article: a draft until a lead decides.
article_drafts = Table(
    "article_drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    # Drafts quote the customer: they go when the conversation is erased.
    Column("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), index=True),
    Column("escalation_id", Integer),
    Column("author", String(64), nullable=False),
    Column("article_id", String(128), nullable=False),
    Column("title", Text, nullable=False),
    Column("questions", MutableList.as_mutable(JSON()), nullable=False, default=list),
    Column("answer", Text, nullable=False),
    Column("stages", MutableList.as_mutable(JSON()), nullable=False, default=list),
    Column("locale", String(8), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime()),
    Column("path", Text),  # the YAML file an approved draft was written to
)

# Every Slack event, recorded before it is acknowledged (bot/slack/inbox.py).
inbound_events = Table(
    "inbound_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("dedup_key", String(128), unique=True),
    Column("kind", String(32), nullable=False),
    Column("user_id", String(64), index=True),
    Column("payload", JSON, nullable=False),  # card numbers already redacted
    Column("received_at", UTCDateTime(), nullable=False, index=True),
    Column("claimed_by", String(64)),
    Column("claimed_until", UTCDateTime()),
    Column("processed_at", UTCDateTime(), index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
)

# Slack calls to make, sent by the gateway until Slack says ok (bot/slack/gateway.py).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(128), unique=True),  # idempotency
    Column("method", String(64), nullable=False),
    Column("channel", String(64), nullable=False, index=True),
    Column("params", JSON, nullable=False),
    Column("user_id", String(64), index=True),  # whose data it holds
    Column("status", String(16), nullable=False, default=OutboxStatus.PENDING.value, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False, index=True),
    Column("claimed_by", String(64)),
    Column("claimed_until", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("error", Text),
    # The escalation whose card this call posts, edits or replies under (see CardLink).
    Column("escalation_id", Integer),
    Column("card_link", String(16)),
    # Where a sent message landed: an edit or deletion of its source follows it there.
    Column("sent_ts", String(32)),
)
