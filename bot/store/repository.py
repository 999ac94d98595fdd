"""Queries the service needs, so the service reads as use cases rather than SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import (
    BOT,
    CLAIMED,
    CUSTOMER,
    DEFAULT,
    ESCALATED,
    OPEN,
    Conversation,
    Customer,
    Escalation,
    Feedback,
    Message,
    StageChange,
)

ACTIVE = (OPEN, ESCALATED, CLAIMED)
T = TypeVar("T")


class Repository:
    """Reads and writes over one session; the unit of work owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def customer(self, team_id: str, user_id: str) -> Customer | None:
        return self.session.scalars(
            select(Customer).where(Customer.team_id == team_id, Customer.user_id == user_id)
        ).one_or_none()

    def get_or_create_customer(
        self, team_id: str, user_id: str, stage: str, now: datetime, locale: str | None = None
    ) -> tuple[Customer, bool]:
        """The customer, created at `stage` if new; True when it was created."""
        existing = self.customer(team_id, user_id)
        if existing is not None:
            return existing, False
        customer = Customer(
            team_id=team_id,
            user_id=user_id,
            locale=locale,
            stage=stage,
            stage_source=DEFAULT,
            first_seen=now,
            last_seen=now,
        )
        return self.add_unless_taken(customer, lambda: self.customer(team_id, user_id))

    def add_unless_taken(self, row: T, existing: Callable[[], T | None]) -> tuple[T, bool]:
        """Insert `row` in a savepoint; when a unique constraint says another worker got there
        first, keep theirs (found with `existing`) and lose only this insert. True if ours."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            found = existing()
            assert found is not None, "a unique constraint failed but nothing is there"
            return found, False
        return row, True

    def active_conversation(
        self, customer_id: int, channel: str, thread_ts: str
    ) -> Conversation | None:
        """The customer's conversation still going on in this channel and thread."""
        return self.session.scalars(
            select(Conversation)
            .where(
                Conversation.customer_id == customer_id,
                Conversation.channel == channel,
                Conversation.thread_ts == thread_ts,
                Conversation.status.in_(ACTIVE),
            )
            .order_by(Conversation.id.desc())
            .limit(1)
        ).one_or_none()

    def latest_conversation(self, customer_id: int) -> Conversation | None:
        return self.session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
            .limit(1)
        ).first()

    def messages(self, conversation_id: int) -> list[Message]:
        return list(
            self.session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
        )

    def feedback_for(self, message_ids: list[int]) -> dict[int, Feedback]:
        if not message_ids:
            return {}
        rows = self.session.scalars(select(Feedback).where(Feedback.message_id.in_(message_ids)))
        return {row.message_id: row for row in rows}

    def last_bot_answer(self, conversation_id: int) -> Message | None:
        """The app's most recent reply that showed an article or suggested some."""
        return self.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.role == BOT,
                Message.decision.in_(("answer", "suggest")),
            )
            .order_by(Message.id.desc())
            .limit(1)
        ).first()

    def open_escalation(self, conversation_id: int) -> Escalation | None:
        return self.session.scalars(
            select(Escalation)
            .where(Escalation.conversation_id == conversation_id, Escalation.status != "resolved")
            .order_by(Escalation.id.desc())
            .limit(1)
        ).first()

    def customer_history(self, customer_id: int) -> tuple[int, int]:
        """How many conversations and customer messages this customer has had."""
        conversations = self.session.scalar(
            select(func.count(Conversation.id)).where(Conversation.customer_id == customer_id)
        )
        messages = self.session.scalar(
            select(func.count(Message.id))
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.customer_id == customer_id, Message.role == CUSTOMER)
        )
        return int(conversations or 0), int(messages or 0)

    def recent_customer_messages(self, customer_id: int, limit: int = 5) -> list[Message]:
        rows = self.session.scalars(
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.customer_id == customer_id, Message.role == CUSTOMER)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        return list(reversed(list(rows)))

    def stage_changes(self, customer_id: int) -> list[StageChange]:
        return list(
            self.session.scalars(
                select(StageChange)
                .where(StageChange.customer_id == customer_id)
                .order_by(StageChange.at, StageChange.id)
            )
        )

    # -- timers --------------------------------------------------------------------------

    def quiet_open_conversations(self, since: datetime, until: datetime) -> list[Conversation]:
        """Open conversations whose last activity falls in [since, until]: candidates for
        the idle timer (recent enough to matter, quiet long enough to check)."""
        return list(
            self.session.scalars(
                select(Conversation)
                .where(
                    Conversation.status == OPEN,
                    Conversation.last_activity_at >= since,
                    Conversation.last_activity_at <= until,
                )
                .order_by(Conversation.id)
            )
        )

    def stale_open_conversations(self, before: datetime) -> list[Conversation]:
        return list(
            self.session.scalars(
                select(Conversation).where(
                    Conversation.status == OPEN, Conversation.last_activity_at < before
                )
            )
        )

    # -- reports -------------------------------------------------------------------------

    def stage_counts(self, since: datetime, until: datetime) -> dict[str, dict]:
        """Per stage, for conversations opened in [since, until): counts the summary needs,
        aggregated by the database (a period can hold a million messages)."""
        in_period = (Conversation.opened_at >= since, Conversation.opened_at < until)
        counts: dict[str, dict] = {}
        rows = self.session.execute(
            select(
                Conversation.stage,
                func.count(Conversation.id),
                func.count(func.distinct(Conversation.customer_id)),
                func.sum(case((Conversation.resolution == "self_service", 1), else_=0)),
                func.sum(case((Conversation.resolution == "abandoned", 1), else_=0)),
            )
            .where(*in_period)
            .group_by(Conversation.stage)
        )
        for stage, conversations, customers, self_service, abandoned in rows:
            counts[stage] = {
                "conversations": conversations, "customers": customers,
                "self_service": int(self_service or 0), "abandoned": int(abandoned or 0),
                "escalations": 0, "minutes_to_claim": [], "rated": 0, "helpful": 0,
            }  # fmt: skip
        escalations = self.session.execute(
            select(Conversation.stage, Escalation.created_at, Escalation.claimed_at)
            .join(Escalation, Escalation.conversation_id == Conversation.id)
            .where(*in_period)
        )
        for stage, raised, claimed in escalations:
            entry = counts.get(stage)
            if entry is None:
                continue
            entry["escalations"] += 1
            if claimed is not None:
                entry["minutes_to_claim"].append((claimed - raised).total_seconds() / 60)
        ratings = self.session.execute(
            select(
                Feedback.stage,
                func.count(Feedback.id),
                func.sum(case((Feedback.helpful.is_(True), 1), else_=0)),
            )
            .where(Feedback.at >= since, Feedback.at < until, Feedback.stage.is_not(None))
            .group_by(Feedback.stage)
        )
        for stage, rated, helpful in ratings:
            entry = counts.setdefault(stage, {
                "conversations": 0, "customers": 0, "self_service": 0, "abandoned": 0,
                "escalations": 0, "minutes_to_claim": [], "rated": 0, "helpful": 0,
            })  # fmt: skip
            entry["rated"], entry["helpful"] = rated, int(helpful or 0)
        return counts

    def transition_counts(self, since: datetime, until: datetime) -> list[tuple]:
        query = (
            select(StageChange.from_stage, StageChange.to_stage, func.count(StageChange.id))
            .where(StageChange.at >= since, StageChange.at < until)
            .group_by(StageChange.from_stage, StageChange.to_stage)
        )
        return [tuple(row) for row in self.session.execute(query)]

    def unanswered_counts(self, since: datetime, until: datetime, limit: int = 50) -> list[tuple]:
        """The customer questions search had nothing for, most frequent first."""
        count = func.count(Message.id)
        query = (
            select(Message.text, count)
            .where(
                Message.role == CUSTOMER,
                Message.decision == "none",
                Message.created_at >= since,
                Message.created_at < until,
            )
            .group_by(Message.text)
            .order_by(count.desc())
            .limit(limit)
        )
        return [tuple(row) for row in self.session.execute(query)]

    def lead_candidates(self, min_score: float, limit: int = 500) -> list[Customer]:
        """Customers whose stored engagement is high enough to be a hot lead (before decay)."""
        return list(
            self.session.scalars(
                select(Customer)
                .where(Customer.lead_score >= min_score)
                .order_by(Customer.lead_score.desc())
                .limit(limit)
            )
        )

    def drifting_candidates(
        self, seen_after: datetime, seen_before: datetime, leaving: str | None, limit: int = 500
    ) -> list[Customer]:
        """Customers who may be drifting away: talked of leaving, or quiet for a while."""
        return list(
            self.session.scalars(
                select(Customer)
                .where(
                    Customer.last_seen >= seen_after,
                    (Customer.stage == (leaving or ""))
                    | (Customer.usual_gap_days.is_not(None) & (Customer.last_seen < seen_before)),
                )
                .order_by(Customer.last_seen.desc())
                .limit(limit)
            )
        )

    def conversation_stages(self, conversation_id: int) -> list[str]:
        """Every stage this conversation was in before its current one."""
        query = select(StageChange.from_stage).where(
            StageChange.conversation_id == conversation_id, StageChange.from_stage.is_not(None)
        )
        return list(dict.fromkeys(self.session.scalars(query)))

    # -- escalations ---------------------------------------------------------------------

    def escalation_by_thread(self, channel: str, thread_ts: str) -> Escalation | None:
        return self.session.scalars(
            select(Escalation).where(
                Escalation.agent_channel == channel, Escalation.agent_thread_ts == thread_ts
            )
        ).first()

    def claimed_by(self, agent: str) -> list[Escalation]:
        return list(
            self.session.scalars(
                select(Escalation)
                .where(Escalation.status == CLAIMED, Escalation.assigned_agent == agent)
                .order_by(Escalation.id)
            )
        )

    def escalations_with_status(self, status: str) -> list[Escalation]:
        return list(
            self.session.scalars(
                select(Escalation).where(Escalation.status == status).order_by(Escalation.id)
            )
        )

    def unclaimed_before(self, cutoff: datetime) -> list[Escalation]:
        """Open escalations raised, and last reminded, before `cutoff`."""
        return list(
            self.session.scalars(
                select(Escalation)
                .where(
                    Escalation.status == OPEN,
                    Escalation.created_at <= cutoff,
                    (Escalation.reminded_at.is_(None)) | (Escalation.reminded_at <= cutoff),
                )
                .order_by(Escalation.id)
            )
        )

    def active_in_stage(self, stage: str, limit: int) -> list[Conversation]:
        """Conversations still going on in `stage`, the most recently active first."""
        return list(
            self.session.scalars(
                select(Conversation)
                .where(Conversation.stage == stage, Conversation.status.in_(ACTIVE))
                .order_by(Conversation.last_activity_at.desc())
                .limit(limit)
            )
        )

    def last_customer_message(self, conversation_id: int) -> Message | None:
        return self.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.role == CUSTOMER)
            .order_by(Message.id.desc())
            .limit(1)
        ).first()

    def customer_message_by_ts(
        self, channel: str, slack_ts: str
    ) -> tuple[Message, Conversation] | None:
        row = self.session.execute(
            select(Message, Conversation)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(
                Conversation.channel == channel,
                Message.slack_ts == slack_ts,
                Message.role == CUSTOMER,
            )
            .limit(1)
        ).first()
        return (row[0], row[1]) if row else None

    def reply_to(self, message: Message) -> Message | None:
        """The app's reply that followed a customer message."""
        return self.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == message.conversation_id,
                Message.role == BOT,
                Message.id > message.id,
            )
            .order_by(Message.id)
            .limit(1)
        ).first()
