"""The aggregates behind the leads' summary, computed by the database: a period can hold a
million messages, so nothing here loads rows one by one."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.service.records import Conversation, Escalation, Feedback, Message, StageChange
from bot.service.vocabulary import Decision, Resolution, Role
from lifecycle.summary import StageCounts


def stage_counts(session: Session, since: datetime, until: datetime) -> dict[str, StageCounts]:
    """Per stage, for conversations opened in [since, until): aggregated by the database
    (a period can hold a million messages)."""
    in_period = (Conversation.opened_at >= since, Conversation.opened_at < until)
    counts: dict[str, StageCounts] = {}
    rows = session.execute(
        select(
            Conversation.stage,
            func.count(Conversation.id),
            func.count(func.distinct(Conversation.customer_id)),
            func.sum(case((Conversation.resolution == Resolution.SELF_SERVICE, 1), else_=0)),
            func.sum(case((Conversation.resolution == Resolution.ABANDONED, 1), else_=0)),
        )
        .where(*in_period)
        .group_by(Conversation.stage)
    )
    for stage, conversations, customers, self_service, abandoned in rows:
        counts[stage] = StageCounts(conversations=conversations, customers=customers,
                                    self_service=int(self_service or 0),
                                    abandoned=int(abandoned or 0))  # fmt: skip
    claims: dict[str, list[float]] = {}
    escalations = session.execute(
        select(Conversation.stage, Escalation.created_at, Escalation.claimed_at)
        .join(Escalation, Escalation.conversation_id == Conversation.id)
        .where(*in_period)
    )
    raised: Counter[str] = Counter()
    for stage, created, claimed in escalations:
        if stage not in counts:
            continue
        raised[stage] += 1
        if claimed is not None:
            claims.setdefault(stage, []).append((claimed - created).total_seconds() / 60)
    for stage, number in raised.items():
        counts[stage] = replace(counts[stage], escalations=number,
                                minutes_to_claim=tuple(claims.get(stage, ())))  # fmt: skip
    ratings = session.execute(
        select(
            Feedback.stage,
            func.count(Feedback.id),
            func.sum(case((Feedback.helpful.is_(True), 1), else_=0)),
        )
        .where(Feedback.at >= since, Feedback.at < until, Feedback.stage.is_not(None))
        .group_by(Feedback.stage)
    )
    for stage, rated, helpful in ratings:
        counts[stage] = replace(counts.get(stage, StageCounts()), rated=rated,
                                helpful=int(helpful or 0))  # fmt: skip
    return counts


def transition_counts(
    session: Session, since: datetime, until: datetime
) -> list[tuple[str | None, str, int]]:
    query = (
        select(StageChange.from_stage, StageChange.to_stage, func.count(StageChange.id))
        .where(StageChange.at >= since, StageChange.at < until)
        .group_by(StageChange.from_stage, StageChange.to_stage)
    )
    return [(a, b, n) for a, b, n in session.execute(query)]


def unanswered_counts(
    session: Session, since: datetime, until: datetime, limit: int = 50
) -> list[tuple[str, int]]:
    """The customer questions search had nothing for, most frequent first."""
    count = func.count(Message.id)
    query = (
        select(Message.text, count)
        .where(
            Message.role == Role.CUSTOMER,
            Message.decision == Decision.NONE,
            Message.created_at >= since,
            Message.created_at < until,
        )
        .group_by(Message.text)
        .order_by(count.desc())
        .limit(limit)
    )
    return [(text, n) for text, n in session.execute(query)]
