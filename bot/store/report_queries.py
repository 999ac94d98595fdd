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
from lifecycle.summary import StageCounts, StageTimes


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


# charts and trends


def escalation_times(session: Session, since: datetime, until: datetime) -> dict[str, StageTimes]:
    """Per stage of conversations opened in [since, until) (as `stage_counts` counts their
    escalations): minutes from each escalation to the first agent message the customer got
    (a typed reply or a sent article; escalations not answered yet are left out, the claim has
    its own column), and to its resolution."""
    first_reply = (
        select(func.min(Message.created_at))
        .where(
            Message.conversation_id == Escalation.conversation_id,
            Message.role == Role.AGENT,
            Message.created_at >= Escalation.created_at,
            Escalation.resolved_at.is_(None) | (Message.created_at <= Escalation.resolved_at),
        )
        .correlate(Escalation)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Conversation.stage, Escalation.created_at, first_reply, Escalation.resolved_at)
        .join(Escalation, Escalation.conversation_id == Conversation.id)
        .where(Conversation.opened_at >= since, Conversation.opened_at < until)
    )
    replies: dict[str, list[float]] = {}
    resolves: dict[str, list[float]] = {}
    for stage, created, replied, resolved in rows:
        if replied is not None:
            replies.setdefault(stage, []).append((replied - created).total_seconds() / 60)
        if resolved is not None:
            resolves.setdefault(stage, []).append((resolved - created).total_seconds() / 60)
    return {
        stage: StageTimes(tuple(sorted(replies.get(stage, ()))),
                          tuple(sorted(resolves.get(stage, ()))))  # fmt: skip
        for stage in sorted(replies.keys() | resolves.keys())
    }


def weekly_counts(
    session: Session, bounds: list[datetime]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Conversations opened in each window [bounds[i], bounds[i + 1]): window index -> stage ->
    (conversations, self-service), in one grouped query."""
    if len(bounds) < 2:
        return {}
    window = case(*((Conversation.opened_at < end, index)
                    for index, end in enumerate(bounds[1:])))  # fmt: skip
    rows = session.execute(
        select(
            window,
            Conversation.stage,
            func.count(Conversation.id),
            func.sum(case((Conversation.resolution == Resolution.SELF_SERVICE, 1), else_=0)),
        )
        .where(Conversation.opened_at >= bounds[0], Conversation.opened_at < bounds[-1])
        .group_by(window, Conversation.stage)
    )
    counts: dict[int, dict[str, tuple[int, int]]] = {}
    for index, stage, conversations, self_service in rows:
        counts.setdefault(int(index), {})[stage] = (conversations, int(self_service or 0))
    return counts


# knowledge gaps

from sqlalchemy.orm import aliased  # noqa: E402 - kept with the query that needs it

from knowledge_base.gaps import Unanswered  # noqa: E402

# A report reads at most this many failed questions of each kind, the most recent: the
# grouping of 10,000 takes about 4 s (BENCHMARKS.md, "Knowledge gaps").
GAP_QUESTIONS = 20_000


def unanswered_questions(
    session: Session, since: datetime, until: datetime, limit: int = GAP_QUESTIONS
) -> list[Unanswered]:
    """Customer questions asked in [since, until) that search had nothing for, or whose answer
    was marked not helpful (with the article of that answer), oldest first."""
    in_period = (Message.created_at >= since, Message.created_at < until)
    found: dict[int, Unanswered] = {}
    nothing = session.execute(
        select(Message.id, Message.text, Message.language, Message.created_at,
               Conversation.customer_id, Conversation.stage)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Message.role == Role.CUSTOMER, Message.decision == Decision.NONE, *in_period)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )  # fmt: skip
    for message_id, text, language, at, customer, stage in nothing:
        found[message_id] = Unanswered(text, str(customer), stage, at, language)
    answer = aliased(Message)
    # The question an answer replied to: the customer's last message before it.
    question_id = func.coalesce(
        answer.reply_to_id,
        select(func.max(Message.id))
        .where(Message.conversation_id == answer.conversation_id,
               Message.role == Role.CUSTOMER, Message.id < answer.id)
        .correlate(answer)
        .scalar_subquery(),
    )  # fmt: skip
    rated = (
        select(question_id.label("question_id"), answer.article_id, Feedback.stage)
        .join(Feedback, Feedback.message_id == answer.id)
        .where(Feedback.helpful.is_(False), answer.role == Role.BOT)
        .subquery()
    )
    unhelped = session.execute(
        select(Message.id, Message.text, Message.language, Message.created_at,
               Conversation.customer_id, func.coalesce(rated.c.stage, Conversation.stage),
               rated.c.article_id)
        .join(rated, rated.c.question_id == Message.id)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(*in_period)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )  # fmt: skip
    for message_id, text, language, at, customer, stage, article in unhelped:
        earlier = found.get(message_id)
        tried = earlier.articles if earlier else ()
        if article and article not in tried:
            tried = (*tried, article)
        found[message_id] = Unanswered(text, str(customer), stage, at, language, tried)
    return [found[key] for key in sorted(found, key=lambda key: (found[key].at, key))]
