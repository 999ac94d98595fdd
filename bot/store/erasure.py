"""Deleting personal data in SQL: one Slack user on request, or everything older than a cut-off.

What to delete is the service's rule (bot/service/privacy.py); how is here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Delete, delete, select
from sqlalchemy.orm import Session

from bot.service.records import (
    ArticleDraft,
    Conversation,
    Customer,
    Escalation,
    Feedback,
    Message,
    Satisfaction,
    StageChange,
)
from bot.store.rows import InboundEvent, OutboxMessage


def _run(session: Session, counts: Counter[str], label: str, statement: Delete) -> None:
    counts[label] += session.execute(statement).rowcount or 0


def _delete_conversations(session: Session, conversation_ids: list[int], counts: Counter) -> None:
    if not conversation_ids:
        return
    message_ids = select(Message.id).where(Message.conversation_id.in_(conversation_ids))
    # Children first, explicitly: SQLite and PostgreSQL then agree whatever the FK settings.
    for label, statement in (
        ("feedback", delete(Feedback).where(Feedback.message_id.in_(message_ids))),
        ("satisfaction",
         delete(Satisfaction).where(Satisfaction.conversation_id.in_(conversation_ids))),
        ("article drafts",
         delete(ArticleDraft).where(ArticleDraft.conversation_id.in_(conversation_ids))),
        ("escalations", delete(Escalation).where(Escalation.conversation_id.in_(conversation_ids))),
        ("stage changes",
         delete(StageChange).where(StageChange.conversation_id.in_(conversation_ids))),
        ("messages", delete(Message).where(Message.conversation_id.in_(conversation_ids))),
        ("conversations", delete(Conversation).where(Conversation.id.in_(conversation_ids))),
    ):  # fmt: skip
        _run(session, counts, label, statement)


def erase_user(session: Session, user_id: str) -> Counter[str]:
    """Everything held about a Slack user (in every workspace): their customer record,
    conversations, messages, stage history, escalations, feedback, and queued or received
    Slack payloads that carry their words."""
    counts: Counter[str] = Counter()
    customer_ids = list(session.scalars(select(Customer.id).where(Customer.user_id == user_id)))
    conversation_ids = list(
        session.scalars(select(Conversation.id).where(Conversation.customer_id.in_(customer_ids)))
    )
    _delete_conversations(session, conversation_ids, counts)
    _run(session, counts, "stage changes",
         delete(StageChange).where(StageChange.customer_id.in_(customer_ids)))  # fmt: skip
    _run(session, counts, "customers", delete(Customer).where(Customer.id.in_(customer_ids)))
    _run(session, counts, "received events",
         delete(InboundEvent).where(InboundEvent.user_id == user_id))  # fmt: skip
    _run(session, counts, "outgoing messages",
         delete(OutboxMessage).where(OutboxMessage.user_id == user_id))  # fmt: skip
    return counts


def erase_before(session: Session, before: datetime, finished_calls: tuple[str, ...]) -> Counter:
    """Conversations last active before `before`, with all they hold; received events and
    finished Slack calls older than that."""
    counts: Counter[str] = Counter()
    conversation_ids = list(
        session.scalars(select(Conversation.id).where(Conversation.last_activity_at < before))
    )
    _delete_conversations(session, conversation_ids, counts)
    _run(session, counts, "received events",
         delete(InboundEvent).where(InboundEvent.received_at < before))  # fmt: skip
    _run(session, counts, "outgoing messages",
         delete(OutboxMessage).where(OutboxMessage.created_at < before,
                                     OutboxMessage.status.in_(finished_calls)))  # fmt: skip
    return counts
