"""The service's repository over SQL: each read and write the use cases name (service/ports.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Executable, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

import bot.store.mapping  # noqa: F401 - the statements below select mapped records
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
from bot.service.vocabulary import (
    ACTIVE_STATUSES,
    ConversationStatus,
    Decision,
    EscalationStatus,
    Role,
    StageSource,
)
from bot.store import tables
from bot.store.erasure import erase_before, erase_user
from bot.store.inserts import add_unless_taken
from bot.store.report_queries import (
    escalation_times,
    stage_counts,
    transition_counts,
    unanswered_counts,
    weekly_counts,
)
from bot.store.writes import attach, insert_row, values_of
from lifecycle.summary import StageCounts, StageTimes

# The message path's reads, built once: building a select() is about half of what running it
# costs through the ORM, and these run several times for every customer message.
_CUSTOMER = select(Customer).where(
    Customer.team_id == bindparam("team_id"), Customer.user_id == bindparam("user_id")
)
_ACTIVE_CONVERSATION = (
    select(Conversation)
    .where(
        Conversation.customer_id == bindparam("customer_id"),
        Conversation.channel == bindparam("channel"),
        Conversation.thread_ts == bindparam("thread_ts"),
        Conversation.status.in_(ACTIVE_STATUSES),
    )
    .order_by(Conversation.id.desc())
    .limit(1)
)
_LATEST_CONVERSATION = (
    select(Conversation)
    .where(Conversation.customer_id == bindparam("customer_id"))
    .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    .limit(1)
)
# Every timer pass, every few seconds in a worker and at each long gap in a replay.
_DUE_CONVERSATIONS = (
    select(Conversation)
    .where(Conversation.status == ConversationStatus.OPEN, Conversation.due_at <= bindparam("now"))
    .order_by(Conversation.due_at, Conversation.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MESSAGES_WITH_FEEDBACK = (
    select(Message, Feedback)
    .outerjoin(Feedback, Feedback.message_id == Message.id)
    .where(Message.conversation_id == bindparam("conversation_id"))
    .order_by(Message.id)
)
_CONVERSATION_STAGES = (
    select(StageChange.from_stage)
    .where(
        StageChange.conversation_id == bindparam("conversation_id"),
        StageChange.from_stage.is_not(None),
    )
    .order_by(StageChange.id)  # the index on conversation_id gives this order for free
)
_OPEN_ESCALATION = (
    select(Escalation)
    .where(
        Escalation.conversation_id == bindparam("conversation_id"),
        Escalation.status != EscalationStatus.RESOLVED,
    )
    .order_by(Escalation.id.desc())
    .limit(1)
)
_CUSTOMER_MESSAGE_BY_TS = (
    select(Message, Conversation)
    .join(Conversation, Message.conversation_id == Conversation.id)
    .where(
        Conversation.channel == bindparam("channel"),
        Message.slack_ts == bindparam("slack_ts"),
        Message.role == Role.CUSTOMER,
    )
    .limit(1)
)
_REPLY_TO = (
    select(Message)
    .where(
        Message.conversation_id == bindparam("conversation_id"),
        Message.role == Role.BOT,
        Message.id > bindparam("message_id"),
    )
    .order_by(Message.id)
    .limit(1)
)


def _insert_unless_taken(session: Session, customer: Customer) -> Executable:
    """INSERT the customer unless their (team, user) is there already, returning the new id."""
    table = tables.customers
    postgresql = session.get_bind().dialect.name == "postgresql"
    dialect_insert = postgresql_insert if postgresql else sqlite_insert
    return (
        dialect_insert(table)
        .values(values_of(table, customer))
        .on_conflict_do_nothing(index_elements=[table.c.team_id, table.c.user_id])
        .returning(table.c.id)
    )


class Repository:
    """Reads and writes over one session; the unit of work owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()  # the caller gets the new id at once

    # -- customers ------------------------------------------------------------------------

    def customer(self, team_id: str, user_id: str) -> Customer | None:
        params = {"team_id": team_id, "user_id": user_id}
        return self.session.scalars(_CUSTOMER, params).one_or_none()

    def customer_by_id(self, customer_id: int) -> Customer | None:
        return self.session.get(Customer, customer_id)

    def get_or_create_customer(
        self, team_id: str, user_id: str, stage: str, now: datetime, locale: str | None = None
    ) -> tuple[Customer, bool]:
        existing = self.customer(team_id, user_id)
        if existing is not None:
            return existing, False
        customer = Customer(team_id=team_id, user_id=user_id, locale=locale, stage=stage,
                            stage_source=StageSource.DEFAULT, first_seen=now,
                            last_seen=now)  # fmt: skip
        # Another worker may create them at the same moment: the unique key decides, and
        # theirs stands. ON CONFLICT DO NOTHING says so without a savepoint around the insert.
        new_id = self.session.execute(_insert_unless_taken(self.session, customer)).scalar()
        if new_id is None:
            theirs = self.customer(team_id, user_id)
            assert theirs is not None, "the customers' unique key failed but nobody is there"
            return theirs, False
        attach(self.session, customer, new_id)
        return customer, True

    def customer_history(self, customer_id: int) -> tuple[int, int]:
        conversations = self.session.scalar(
            select(func.count(Conversation.id)).where(Conversation.customer_id == customer_id)
        )
        messages = self.session.scalar(
            select(func.count(Message.id))
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.customer_id == customer_id, Message.role == Role.CUSTOMER)
        )
        return int(conversations or 0), int(messages or 0)

    def recent_customer_messages(self, customer_id: int, limit: int = 5) -> list[Message]:
        rows = self.session.scalars(
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.customer_id == customer_id, Message.role == Role.CUSTOMER)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        return list(reversed(list(rows)))

    def lead_candidates(self, min_score: float, limit: int = 500) -> list[Customer]:
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

    # -- conversations --------------------------------------------------------------------

    def start_conversation(
        self,
        customer_id: int,
        channel: str,
        thread_ts: str,
        stage: str,
        at: datetime,
        due_at: datetime | None = None,
    ) -> Conversation:
        conversation = Conversation(customer_id=customer_id, channel=channel, thread_ts=thread_ts,
                                    stage=stage, status=ConversationStatus.OPEN, opened_at=at,
                                    last_activity_at=at, due_at=due_at)  # fmt: skip
        # Written at once, id and all, due time included: no flush, no UPDATE after it.
        insert_row(self.session, tables.conversations, conversation)
        return conversation

    def conversation(self, conversation_id: int) -> Conversation | None:
        return self.session.get(Conversation, conversation_id)

    def active_conversation(
        self, customer_id: int, channel: str, thread_ts: str
    ) -> Conversation | None:
        params = {"customer_id": customer_id, "channel": channel, "thread_ts": thread_ts}
        return self.session.scalars(_ACTIVE_CONVERSATION, params).one_or_none()

    def conversation_in_thread(self, channel: str, thread_ts: str) -> Conversation | None:
        return self.session.scalars(
            select(Conversation)
            .where(
                Conversation.channel == channel,
                Conversation.thread_ts == thread_ts,
                Conversation.status.in_(ACTIVE_STATUSES),
            )
            .order_by(Conversation.id.desc())
            .limit(1)
        ).first()

    def latest_conversation(self, customer_id: int) -> Conversation | None:
        return self.session.scalars(_LATEST_CONVERSATION, {"customer_id": customer_id}).first()

    def due_conversations(self, now: datetime, limit: int) -> list[Conversation]:
        """Open conversations whose timer is due, the longest due first. On PostgreSQL the
        rows stay locked until commit and rows another worker holds are skipped, so two
        workers never act on one due time."""
        return list(self.session.scalars(_DUE_CONVERSATIONS, {"now": now, "limit": limit}))

    def active_in_stage(self, stage: str, limit: int) -> list[Conversation]:
        """Conversations still going on in `stage`, the most recently active first."""
        return list(
            self.session.scalars(
                select(Conversation)
                .where(Conversation.stage == stage, Conversation.status.in_(ACTIVE_STATUSES))
                .order_by(Conversation.last_activity_at.desc())
                .limit(limit)
            )
        )

    # -- messages and feedback ------------------------------------------------------------

    def add_message(self, message: Message) -> Message:
        # Written at once, id and all: a Core INSERT is cheaper than the next flush.
        insert_row(self.session, tables.messages, message)
        return message

    def message(self, message_id: int) -> Message | None:
        return self.session.get(Message, message_id)

    def messages(self, conversation_id: int) -> list[Message]:
        return list(
            self.session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
        )

    def last_bot_answer(self, conversation_id: int) -> Message | None:
        """The app's most recent reply that showed an article or suggested some."""
        return self.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.role == Role.BOT,
                Message.decision.in_((Decision.ANSWER, Decision.SUGGEST)),
            )
            .order_by(Message.id.desc())
            .limit(1)
        ).first()

    def last_customer_message(self, conversation_id: int) -> Message | None:
        return self.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.role == Role.CUSTOMER)
            .order_by(Message.id.desc())
            .limit(1)
        ).first()

    def customer_message_by_ts(
        self, channel: str, slack_ts: str
    ) -> tuple[Message, Conversation] | None:
        params = {"channel": channel, "slack_ts": slack_ts}
        row = self.session.execute(_CUSTOMER_MESSAGE_BY_TS, params).first()
        return (row[0], row[1]) if row else None

    def reply_to(self, message: Message) -> Message | None:
        """The app's reply that followed a customer message."""
        params = {"conversation_id": message.conversation_id, "message_id": message.id}
        return self.session.scalars(_REPLY_TO, params).first()

    def feedback_for(self, message_ids: Iterable[int]) -> dict[int, Feedback]:
        ids = list(message_ids)
        if not ids:
            return {}
        rows = self.session.scalars(select(Feedback).where(Feedback.message_id.in_(ids)))
        return {row.message_id: row for row in rows}

    def messages_with_feedback(
        self, conversation_id: int
    ) -> tuple[list[Message], dict[int, Feedback]]:
        params = {"conversation_id": conversation_id}
        rows = self.session.execute(_MESSAGES_WITH_FEEDBACK, params).all()
        messages = list(dict.fromkeys(message for message, _ in rows))
        return messages, {rated.message_id: rated for _, rated in rows if rated is not None}

    def add_feedback(self, feedback: Feedback) -> Feedback:
        self._add(feedback)
        return feedback

    # -- stages ---------------------------------------------------------------------------

    def add_stage_change(self, change: StageChange) -> StageChange:
        insert_row(self.session, tables.stage_changes, change)
        return change

    def stage_changes(self, customer_id: int) -> list[StageChange]:
        return list(
            self.session.scalars(
                select(StageChange)
                .where(StageChange.customer_id == customer_id)
                .order_by(StageChange.at, StageChange.id)
            )
        )

    def conversation_stages(self, conversation_id: int) -> list[str]:
        """Every stage this conversation was in before its current one."""
        params = {"conversation_id": conversation_id}
        return list(dict.fromkeys(self.session.scalars(_CONVERSATION_STAGES, params)))

    # -- escalations ----------------------------------------------------------------------

    def escalation(self, escalation_id: int) -> Escalation | None:
        return self.session.get(Escalation, escalation_id)

    def open_escalation(self, conversation_id: int) -> Escalation | None:
        params = {"conversation_id": conversation_id}
        return self.session.scalars(_OPEN_ESCALATION, params).first()

    def add_escalation(self, escalation: Escalation) -> tuple[Escalation, bool]:
        # Another worker may have escalated this conversation a moment ago: one open
        # escalation per conversation is a unique index, and theirs stands.
        conversation_id = escalation.conversation_id
        return add_unless_taken(
            self.session, escalation, lambda: self.open_escalation(conversation_id)
        )

    def claim_escalation(
        self, escalation_id: int, agent: str, at: datetime
    ) -> tuple[bool, Escalation]:
        # One conditional UPDATE: the database, not a read-then-write, decides who won.
        won = self.session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.OPEN)
            .values(status=EscalationStatus.CLAIMED, assigned_agent=agent, claimed_at=at)
            .execution_options(synchronize_session=False)
        ).rowcount == 1  # fmt: skip
        escalation = self.session.get(Escalation, escalation_id, populate_existing=True)
        assert escalation is not None, f"escalation {escalation_id} vanished while claimed"
        return won, escalation

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
                .where(
                    Escalation.status == EscalationStatus.CLAIMED,
                    Escalation.assigned_agent == agent,
                )
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
                    Escalation.status == EscalationStatus.OPEN,
                    Escalation.created_at <= cutoff,
                    (Escalation.reminded_at.is_(None)) | (Escalation.reminded_at <= cutoff),
                )
                .order_by(Escalation.id)
            )
        )

    def hand_over(
        self, escalation_id: int, holder: str, to: str | None, at: datetime
    ) -> tuple[bool, Escalation]:
        # Conditional, as a claim is: a holder who just resolved or passed it on keeps the
        # last word, and two leads reassigning at once do not both win.
        values: dict = {"assigned_agent": to, "claimed_at": at}
        if to is None:
            values = {"assigned_agent": None, "claimed_at": None,
                      "status": EscalationStatus.OPEN, "reminded_at": None}  # fmt: skip
        won = self.session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status == EscalationStatus.CLAIMED,
                   Escalation.assigned_agent == holder)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount == 1  # fmt: skip
        escalation = self.session.get(Escalation, escalation_id, populate_existing=True)
        assert escalation is not None, f"escalation {escalation_id} vanished while handed over"
        return won, escalation

    # -- satisfaction and article drafts --------------------------------------------------

    def add_satisfaction(self, rating: Satisfaction) -> tuple[Satisfaction, bool]:
        escalation_id = rating.escalation_id
        return add_unless_taken(
            self.session, rating,
            lambda: self.session.scalars(
                select(Satisfaction).where(Satisfaction.escalation_id == escalation_id)
            ).first(),
        )  # fmt: skip

    def satisfaction_counts(self, since: datetime, until: datetime) -> dict[str, tuple[int, int]]:
        satisfied = func.sum(case((Satisfaction.satisfied.is_(True), 1), else_=0))
        rows = self.session.execute(
            select(Satisfaction.stage, func.count(Satisfaction.id), satisfied)
            .where(Satisfaction.at >= since, Satisfaction.at < until)
            .group_by(Satisfaction.stage)
        )
        return {stage: (rated, int(good or 0)) for stage, rated, good in rows}

    def add_draft(self, draft: ArticleDraft) -> ArticleDraft:
        self._add(draft)
        return draft

    def draft(self, draft_id: int) -> ArticleDraft | None:
        return self.session.get(ArticleDraft, draft_id)

    def drafts_with_status(self, status: str, limit: int = 50) -> list[ArticleDraft]:
        return list(self.session.scalars(
            select(ArticleDraft).where(ArticleDraft.status == status)
            .order_by(ArticleDraft.id).limit(limit)
        ))  # fmt: skip

    # -- reports --------------------------------------------------------------------------

    def stage_counts(self, since: datetime, until: datetime) -> dict[str, StageCounts]:
        return stage_counts(self.session, since, until)

    def transition_counts(
        self, since: datetime, until: datetime
    ) -> list[tuple[str | None, str, int]]:
        return transition_counts(self.session, since, until)

    def unanswered_counts(
        self, since: datetime, until: datetime, limit: int = 50
    ) -> list[tuple[str, int]]:
        return unanswered_counts(self.session, since, until, limit)

    # -- erasure --------------------------------------------------------------------------

    def erase_user(self, user_id: str) -> Counter[str]:
        return erase_user(self.session, user_id)

    def erase_before(self, before: datetime, finished_calls: Iterable[str]) -> Counter[str]:
        return erase_before(self.session, before, tuple(finished_calls))

    # charts and trends

    def escalation_times(self, since: datetime, until: datetime) -> dict[str, StageTimes]:
        return escalation_times(self.session, since, until)

    def weekly_counts(self, bounds: list[datetime]) -> dict[int, dict[str, tuple[int, int]]]:
        return weekly_counts(self.session, bounds)

    # knowledge gaps

    def unanswered_questions(self, since: datetime, until: datetime) -> list[Unanswered]:
        return unanswered_questions(self.session, since, until)


# knowledge gaps: the names the method above needs (kept with it, below the class)
from bot.store.report_queries import unanswered_questions  # noqa: E402
from knowledge_base.gaps import Unanswered  # noqa: E402
