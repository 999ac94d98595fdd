"""Deleting personal data: one customer on request, or everything older than a cut-off."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import delete, or_, select

from bot.store.models import (
    Conversation,
    Customer,
    Escalation,
    Feedback,
    InboundEvent,
    Message,
    OutboxMessage,
    StageChange,
)
from bot.store.unit_of_work import Store


def _delete_conversations(session, conversation_ids: list[int], counts: Counter) -> None:  # noqa: ANN001
    if not conversation_ids:
        return
    message_ids = select(Message.id).where(Message.conversation_id.in_(conversation_ids))
    # Children first, explicitly: SQLite and PostgreSQL then agree whatever the FK settings.
    for label, statement in (
        ("feedback", delete(Feedback).where(Feedback.message_id.in_(message_ids))),
        ("escalations", delete(Escalation).where(Escalation.conversation_id.in_(conversation_ids))),
        ("stage changes",
         delete(StageChange).where(StageChange.conversation_id.in_(conversation_ids))),
        ("messages", delete(Message).where(Message.conversation_id.in_(conversation_ids))),
        ("conversations", delete(Conversation).where(Conversation.id.in_(conversation_ids))),
    ):  # fmt: skip
        counts[label] += session.execute(statement).rowcount or 0


def forget(store: Store, user_id: str) -> Counter:
    """Delete everything held about a Slack user (in every workspace): their customer record,
    conversations, messages, stage history, escalations, feedback, and queued or received
    Slack payloads that carry their words."""
    counts: Counter = Counter()
    with store.unit_of_work() as uow:
        session = uow.session
        customer_ids = list(session.scalars(select(Customer.id).where(Customer.user_id == user_id)))
        conversation_ids = list(
            session.scalars(
                select(Conversation.id).where(Conversation.customer_id.in_(customer_ids))
            )
        )
        _delete_conversations(session, conversation_ids, counts)
        counts["stage changes"] += (
            session.execute(
                delete(StageChange).where(StageChange.customer_id.in_(customer_ids))
            ).rowcount
            or 0
        )
        counts["customers"] += (
            session.execute(delete(Customer).where(Customer.id.in_(customer_ids))).rowcount or 0
        )
        counts["received events"] += (
            session.execute(delete(InboundEvent).where(InboundEvent.user_id == user_id)).rowcount
            or 0
        )
        counts["outgoing messages"] += (
            session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user_id)).rowcount
            or 0
        )
        uow.commit()
    return counts


def purge(store: Store, before: datetime) -> Counter:
    """Delete conversations whose last activity is before `before`, with all they hold, and
    received events and sent (or failed) Slack calls older than that."""
    counts: Counter = Counter()
    with store.unit_of_work() as uow:
        session = uow.session
        conversation_ids = list(
            session.scalars(select(Conversation.id).where(Conversation.last_activity_at < before))
        )
        _delete_conversations(session, conversation_ids, counts)
        counts["received events"] += (
            session.execute(delete(InboundEvent).where(InboundEvent.received_at < before)).rowcount
            or 0
        )
        counts["outgoing messages"] += (
            session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.created_at < before,
                    or_(OutboxMessage.status == "sent", OutboxMessage.status == "failed"),
                )
            ).rowcount
            or 0
        )
        uow.commit()
    return counts
