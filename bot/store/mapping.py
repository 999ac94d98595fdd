"""Map the plain records onto the tables (SQLAlchemy's imperative mapping), once per process.

Imperative rather than declarative (`Mapped[...]` classes) because the records belong to the
service, which must not import SQLAlchemy: the ORM depends on the model, not the other way
round. Queries stay SQLAlchemy 2 style (`select(Message).where(Message.id == ...)`).
No relationships are mapped: records refer to each other by id, as the in-memory store does.
"""

from __future__ import annotations

from sqlalchemy.orm import registry

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
from bot.store import tables
from bot.store.rows import InboundEvent, OutboxMessage

mapper_registry = registry(metadata=tables.metadata)

for record, table in (
    (Customer, tables.customers),
    (Conversation, tables.conversations),
    (Message, tables.messages),
    (StageChange, tables.stage_changes),
    (Escalation, tables.escalations),
    (Feedback, tables.feedback),
    (Satisfaction, tables.satisfaction),
    (ArticleDraft, tables.article_drafts),
    (InboundEvent, tables.inbound_events),
    (OutboxMessage, tables.outbox),
):
    mapper_registry.map_imperatively(record, table)
