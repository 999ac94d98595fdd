"""Shared by the repository contract tests: which stores they run on, and small builders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.service.ports import UnitOfWork
from bot.service.records import Conversation, Customer, Escalation, Feedback, Message, StageChange
from bot.service.vocabulary import (
    ConversationStatus,
    Role,
)
from tests.conftest import T0

# Which store, and the conftest `database_url` parameter that goes with it (the fake is given
# the SQLite one, a file name it never opens, since the parameter is set for every test here).
BACKENDS = {"fake": "sqlite", "sqlite": "sqlite", "postgresql": "postgresql"}
OPEN, RESOLVED = ConversationStatus.OPEN, ConversationStatus.RESOLVED


def at(minutes: float) -> datetime:
    """T0 plus `minutes`."""
    return T0 + timedelta(minutes=minutes)


def customer(uow: UnitOfWork, user: str = "U1", team: str = "T1", minutes: float = 0) -> Customer:
    found, _ = uow.repo.get_or_create_customer(team, user, "awareness", at(minutes))
    return found


def talk(uow: UnitOfWork, who: Customer, minutes: float = 0, **fields: object) -> Conversation:
    """A conversation started `minutes` after T0, with `fields` changed afterwards."""
    assert who.id is not None
    channel, thread = str(fields.pop("channel", "D1")), str(fields.pop("thread_ts", ""))
    started = uow.repo.start_conversation(who.id, channel, thread, "awareness", at(minutes))
    for name, value in fields.items():
        setattr(started, name, value)
    return started


def say(
    uow: UnitOfWork, where: Conversation, role: str, text: str, minutes: float = 0, **fields: object
) -> Message:
    assert where.id is not None
    return uow.repo.add_message(
        Message(conversation_id=where.id, role=role, text=text, created_at=at(minutes), **fields)
    )


def escalate(uow: UnitOfWork, where: Conversation, minutes: float = 0) -> tuple[Escalation, bool]:
    assert where.id is not None
    return uow.repo.add_escalation(
        Escalation(
            conversation_id=where.id, stage=where.stage, created_at=at(minutes), reasons=["asked"]
        )
    )


# Every contract test runs on the fake, on SQLite and on PostgreSQL.
ON_EVERY_STORE = pytest.mark.parametrize(
    ("backend", "database_url"),
    list(BACKENDS.items()),
    ids=list(BACKENDS),
    indirect=["database_url"],
)


def busy(uow: UnitOfWork, user: str, team: str, minutes: float = 0) -> Customer:
    """A customer with a conversation holding everything a conversation can hold."""
    who = customer(uow, user, team, minutes)
    where = talk(uow, who, minutes, channel=f"D{user}{team}")
    answer = say(uow, where, Role.BOT, "answer", minutes)
    uow.repo.add_feedback(Feedback(message_id=answer.id, helpful=False, at=at(minutes)))
    escalate(uow, where, minutes)
    for conversation_id in (where.id, None):
        uow.repo.add_stage_change(
            StageChange(
                customer_id=who.id,
                to_stage="purchase",
                at=at(minutes),
                conversation_id=conversation_id,
            )
        )
    return who
