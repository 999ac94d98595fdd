"""An in-memory store that behaves like the SQL one (bot/store/repository.py), for unit tests.

A unit of work works on private copies of the committed rows; `commit()` publishes what it
changed, leaving without it discards all. Unique rules and claims also see rows committed since
it began, as the database's indexes and conditional UPDATE do. There is no inbox or outbox.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, fields, replace
from datetime import datetime
from itertools import count
from operator import attrgetter
from typing import Any, TypeVar

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
    Resolution,
    Role,
    StageSource,
)
from lifecycle.summary import StageCounts, StageTimes

Row = (
    Customer | Conversation | Message | StageChange | Escalation | Feedback | Satisfaction
    | ArticleDraft
)
R = TypeVar("R", bound=Row)
Tables = dict[type, dict[int, Any]]
Test = Callable[[Any], bool]  # a WHERE clause
RECORDS = (
    Customer, Conversation, Message, StageChange, Escalation, Feedback, Satisfaction, ArticleDraft
)
OPEN, CLAIMED, RESOLVED = EscalationStatus.OPEN, EscalationStatus.CLAIMED, EscalationStatus.RESOLVED
SELF_SERVICE, ABANDONED = Resolution.SELF_SERVICE, Resolution.ABANDONED


class ConstraintError(Exception):
    """A write a unique constraint refuses (SQL raises IntegrityError there)."""


def clone(row: R) -> R:
    """A new record equal to `row`, lists copied; a clean instance even if SQLAlchemy mapped it."""
    lists = {f.name: list(v) for f in fields(row) if isinstance(v := getattr(row, f.name), list)}
    return replace(row, **lists)


class FakeStore:
    """The committed rows of each record type, and each table's id sequence."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every row and restart every sequence: an empty store again."""
        self.tables: Tables = {record: {} for record in RECORDS}
        self.ids = {record: count(1) for record in RECORDS}  # sequences: no id is used twice

    def unit_of_work(self) -> FakeUnitOfWork:
        """A new transaction."""
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    """One transaction over private copies of the committed rows."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.repo = FakeRepository(self)
        self.rows: Tables = {}  # this transaction's rows, by type and id: one object per row
        self.read: Tables = {}  # the committed rows they were copied from

    def __enter__(self) -> FakeUnitOfWork:
        self.read = {record: dict(rows) for record, rows in self.store.tables.items()}
        self.rows = {r: {i: clone(row) for i, row in rows.items()} for r, rows in self.read.items()}
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rows, self.read = {}, {}  # whatever was not committed is gone

    def batched(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()  # reads here always see this transaction's writes

    def commit(self) -> None:
        """Publish the rows this transaction added, changed or deleted; others stay as they are."""
        for record, rows in self.rows.items():
            committed, read = self.store.tables[record], self.read[record]
            for row_id in read.keys() - rows.keys():
                committed.pop(row_id, None)
                del read[row_id]
            for row_id, row in rows.items():
                if row_id not in read or astuple(row) != astuple(read[row_id]):
                    committed[row_id] = read[row_id] = clone(row)

    def latest(self, record: type[R], row_id: int) -> R | None:
        """The row as last committed, unless this transaction changed or deleted it."""
        mine, read = self.rows[record].get(row_id), self.read[record].get(row_id)
        committed = self.store.tables[record].get(row_id)
        changed = read is not None and (mine is None or astuple(mine) != astuple(read))
        if committed is None or changed:
            return mine
        fresh = clone(committed)
        if mine is None:
            mine = self.rows[record][row_id] = fresh
        for f in fields(fresh):  # in place: one object per row in a transaction
            setattr(mine, f.name, getattr(fresh, f.name))
        self.read[record][row_id] = committed
        return mine


def _by_id(record: type[R]) -> Callable[[FakeRepository, int], R | None]:
    """A repository method reading one `record` by id."""
    return lambda repo, row_id: repo.uow.rows[record].get(row_id)


@dataclass
class FakeRepository:
    """The repository port over one unit of work; each method answers as bot/store's does."""

    uow: FakeUnitOfWork

    def _where(self, record: type[R], test: Test = bool, **equal: object) -> list[R]:
        """Rows in id order whose fields equal `equal` and that pass `test` (`bool`: all do)."""
        rows = [self.uow.rows[record][i] for i in sorted(self.uow.rows[record])]
        return [r for r in rows if all(getattr(r, k) == v for k, v in equal.items()) and test(r)]

    def _first(self, record: type[R], test: Test = bool, **equal: object) -> R | None:
        return next(iter(self._where(record, test, **equal)), None)

    def _last(self, record: type[R], test: Test = bool, **equal: object) -> R | None:
        return next(reversed(self._where(record, test, **equal)), None)

    def _add(self, row: R) -> R:
        if row.id is None:
            row.id = next(self.uow.store.ids[type(row)])
        self.uow.rows[type(row)][row.id] = row
        return row

    def _add_unless_taken(self, row: R, clashes: Test) -> tuple[R, bool]:
        """Insert `row` unless a unique rule finds another (maybe just committed): theirs stands."""
        mine = self._first(type(row), clashes)
        if mine is not None:
            return mine, False
        read = self.uow.read[type(row)]
        for row_id, theirs in sorted(self.uow.store.tables[type(row)].items()):
            if row_id not in read and clashes(theirs):
                found = self.uow.latest(type(row), row_id)
                assert found is not None
                return found, False
        return self._add(row), True

    customer_by_id = _by_id(Customer)
    conversation = _by_id(Conversation)
    message = _by_id(Message)
    escalation = _by_id(Escalation)
    add_stage_change = _add

    def add_message(self, message: Message) -> Message:
        return self._add(message)

    def messages_with_feedback(
        self, conversation_id: int
    ) -> tuple[list[Message], dict[int, Feedback]]:
        messages = self.messages(conversation_id)
        return messages, self.feedback_for(m.id for m in messages if m.id is not None)

    def customer(self, team_id: str, user_id: str) -> Customer | None:
        return self._first(Customer, team_id=team_id, user_id=user_id)

    def get_or_create_customer(
        self, team_id: str, user_id: str, stage: str, now: datetime, locale: str | None = None
    ) -> tuple[Customer, bool]:
        """The customer, created at `stage` if new (True then); a concurrent creation wins."""
        new = Customer(team_id=team_id, user_id=user_id, locale=locale, stage=stage,
                       stage_source=StageSource.DEFAULT, first_seen=now, last_seen=now)  # fmt: skip
        return self._add_unless_taken(new, lambda c: (c.team_id, c.user_id) == (team_id, user_id))

    def _customer_messages(self, customer_id: int) -> list[Message]:
        theirs = {c.id for c in self._where(Conversation, customer_id=customer_id)}
        return self._where(Message, lambda m: m.conversation_id in theirs, role=Role.CUSTOMER)

    def customer_history(self, customer_id: int) -> tuple[int, int]:
        conversations = self._where(Conversation, customer_id=customer_id)
        return len(conversations), len(self._customer_messages(customer_id))

    def recent_customer_messages(self, customer_id: int, limit: int = 5) -> list[Message]:
        """The customer's last `limit` messages, oldest first."""
        said = self._customer_messages(customer_id)
        return said[max(len(said) - limit, 0) :]

    def lead_candidates(self, min_score: float, limit: int = 500) -> list[Customer]:
        scoring = self._where(Customer, lambda c: c.lead_score >= min_score)
        return _most(scoring, "lead_score", limit)

    def drifting_candidates(
        self, seen_after: datetime, seen_before: datetime, leaving: str | None, limit: int = 500
    ) -> list[Customer]:
        """Seen since `seen_after`, and leaving or usually back and quiet since `seen_before`."""
        quiet = lambda c: c.usual_gap_days is not None and c.last_seen < seen_before  # noqa: E731
        found = self._where(Customer, lambda c: c.last_seen >= seen_after
                            and (c.stage == (leaving or "") or quiet(c)))  # fmt: skip
        return _most(found, "last_seen", limit)

    def start_conversation(
        self,
        customer_id: int,
        channel: str,
        thread_ts: str,
        stage: str,
        at: datetime,
        due_at: datetime | None = None,
    ) -> Conversation:
        return self._add(Conversation(customer_id=customer_id, channel=channel,
                                      thread_ts=thread_ts, stage=stage,
                                      status=ConversationStatus.OPEN, opened_at=at,
                                      last_activity_at=at, due_at=due_at))  # fmt: skip

    def active_conversation(
        self, customer_id: int, channel: str, thread_ts: str
    ) -> Conversation | None:
        here = {"customer_id": customer_id, "channel": channel, "thread_ts": thread_ts}
        return self._last(Conversation, lambda c: c.status in ACTIVE_STATUSES, **here)

    def conversation_in_thread(self, channel: str, thread_ts: str) -> Conversation | None:
        here = {"channel": channel, "thread_ts": thread_ts}
        return self._last(Conversation, lambda c: c.status in ACTIVE_STATUSES, **here)

    def latest_conversation(self, customer_id: int) -> Conversation | None:
        theirs = self._where(Conversation, customer_id=customer_id)
        return max(theirs, key=lambda c: (c.last_activity_at, c.id), default=None)

    def due_conversations(self, now: datetime, limit: int) -> list[Conversation]:
        due = self._where(Conversation, lambda c: c.due_at is not None and c.due_at <= now,
                          status=ConversationStatus.OPEN)  # fmt: skip
        return sorted(due, key=lambda c: (c.due_at, c.id))[:limit]

    def active_in_stage(self, stage: str, limit: int) -> list[Conversation]:
        going = self._where(Conversation, lambda c: c.status in ACTIVE_STATUSES, stage=stage)
        return _most(going, "last_activity_at", limit)

    def messages(self, conversation_id: int) -> list[Message]:
        return self._where(Message, conversation_id=conversation_id)

    def last_bot_answer(self, conversation_id: int) -> Message | None:
        shown = lambda m: m.decision in (Decision.ANSWER, Decision.SUGGEST)  # noqa: E731
        return self._last(Message, shown, conversation_id=conversation_id, role=Role.BOT)

    def last_customer_message(self, conversation_id: int) -> Message | None:
        return self._last(Message, conversation_id=conversation_id, role=Role.CUSTOMER)

    def customer_message_by_ts(
        self, channel: str, slack_ts: str
    ) -> tuple[Message, Conversation] | None:
        asked = self._where(Message, slack_ts=slack_ts, role=Role.CUSTOMER)
        return next(((m, c) for m in asked if (c := self.conversation(m.conversation_id))
                     and c.channel == channel), None)  # fmt: skip

    def reply_to(self, message: Message) -> Message | None:
        later = lambda m: message.id is not None and m.id > message.id  # noqa: E731
        return self._first(Message, later, conversation_id=message.conversation_id, role=Role.BOT)

    def feedback_for(self, message_ids: Iterable[int]) -> dict[int, Feedback]:
        ids = set(message_ids)
        return {f.message_id: f for f in self._where(Feedback, lambda f: f.message_id in ids)}

    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Store a rating; a message has at most one."""
        rated = feedback.message_id
        stored, ours = self._add_unless_taken(feedback, lambda f: f.message_id == rated)
        if not ours:
            raise ConstraintError(f"message {rated} is rated already")
        return stored

    def stage_changes(self, customer_id: int) -> list[StageChange]:
        return sorted(self._where(StageChange, customer_id=customer_id), key=attrgetter("at", "id"))

    def conversation_stages(self, conversation_id: int) -> list[str]:
        changes = self._where(StageChange, conversation_id=conversation_id)
        return list(dict.fromkeys(s.from_stage for s in changes if s.from_stage is not None))

    def open_escalation(self, conversation_id: int) -> Escalation | None:
        return self._last(Escalation, _unresolved, conversation_id=conversation_id)

    def add_escalation(self, escalation: Escalation) -> tuple[Escalation, bool]:
        """Store it unless the conversation has an open one already; (the open one, ours?)."""
        same, opening = escalation.conversation_id, _unresolved(escalation)  # as the index is
        return self._add_unless_taken(escalation, lambda e: opening and e.conversation_id == same
                                      and _unresolved(e))  # fmt: skip

    def claim_escalation(
        self, escalation_id: int, agent: str, at: datetime
    ) -> tuple[bool, Escalation]:
        """Give an open escalation to `agent`, judged on the row as last committed."""
        escalation = self.uow.latest(Escalation, escalation_id)
        assert escalation is not None, f"escalation {escalation_id} vanished while claimed"
        won = escalation.status == OPEN
        if won:
            escalation.status, escalation.assigned_agent, escalation.claimed_at = CLAIMED, agent, at
        return won, escalation

    def escalation_by_thread(self, channel: str, thread_ts: str) -> Escalation | None:
        return self._first(Escalation, agent_channel=channel, agent_thread_ts=thread_ts)

    def claimed_by(self, agent: str) -> list[Escalation]:
        return self._where(Escalation, status=CLAIMED, assigned_agent=agent)

    def escalations_with_status(self, status: str) -> list[Escalation]:
        return self._where(Escalation, status=status)

    def unclaimed_before(self, cutoff: datetime) -> list[Escalation]:
        return self._where(Escalation, lambda e: e.created_at <= cutoff
                           and (e.reminded_at is None or e.reminded_at <= cutoff),
                           status=OPEN)  # fmt: skip

    def hand_over(
        self, escalation_id: int, holder: str, to: str | None, at: datetime
    ) -> tuple[bool, Escalation]:
        """Pass a claimed escalation on, judged on the row as last committed."""
        escalation = self.uow.latest(Escalation, escalation_id)
        assert escalation is not None, f"escalation {escalation_id} vanished while handed over"
        won = escalation.status == CLAIMED and escalation.assigned_agent == holder
        if won and to is None:
            escalation.status, escalation.assigned_agent, escalation.claimed_at = OPEN, None, None
            escalation.reminded_at = None
        elif won:
            escalation.assigned_agent, escalation.claimed_at = to, at
        return won, escalation

    def add_satisfaction(self, rating: Satisfaction) -> tuple[Satisfaction, bool]:
        same = rating.escalation_id
        return self._add_unless_taken(rating, lambda r: r.escalation_id == same)

    def satisfaction_counts(self, since: datetime, until: datetime) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for rating in self._where(Satisfaction, lambda r: since <= r.at < until):
            rated, good = counts.get(rating.stage, (0, 0))
            counts[rating.stage] = (rated + 1, good + int(rating.satisfied))
        return counts

    def add_draft(self, draft: ArticleDraft) -> ArticleDraft:
        return self._add(draft)

    def draft(self, draft_id: int) -> ArticleDraft | None:
        return self._first(ArticleDraft, id=draft_id)

    def drafts_with_status(self, status: str, limit: int = 50) -> list[ArticleDraft]:
        return self._where(ArticleDraft, status=status)[:limit]

    def stage_counts(self, since: datetime, until: datetime) -> dict[str, StageCounts]:
        """Per stage, for conversations opened in [since, until), and ratings given then."""
        opened = self._where(Conversation, lambda c: since <= c.opened_at < until)
        counts: dict[str, StageCounts] = {}
        for stage in dict.fromkeys(c.stage for c in opened):
            group = [c for c in opened if c.stage == stage]
            ids = {c.id for c in group}
            raised = self._where(Escalation, lambda e: e.conversation_id in ids)  # noqa: B023
            claims = tuple((e.claimed_at - e.created_at).total_seconds() / 60
                           for e in raised if e.claimed_at is not None)  # fmt: skip
            ends = Counter(c.resolution for c in group)
            counts[stage] = StageCounts(
                conversations=len(group),
                customers=len({c.customer_id for c in group}),
                self_service=ends[SELF_SERVICE],
                abandoned=ends[ABANDONED],
                escalations=len(raised),
                minutes_to_claim=claims,
            )
        ratings = self._where(Feedback, lambda f: since <= f.at < until and f.stage is not None)
        for stage in dict.fromkeys(f.stage for f in ratings):
            given = [f for f in ratings if f.stage == stage]
            counts[stage] = replace(counts.get(stage, StageCounts()), rated=len(given),
                                    helpful=sum(f.helpful is True for f in given))  # fmt: skip
        return counts

    def transition_counts(
        self, since: datetime, until: datetime
    ) -> list[tuple[str | None, str, int]]:
        changes = self._where(StageChange, lambda s: since <= s.at < until)
        moves = Counter((s.from_stage, s.to_stage) for s in changes)
        return [(a, b, n) for (a, b), n in moves.items()]

    def unanswered_counts(
        self, since: datetime, until: datetime, limit: int = 50
    ) -> list[tuple[str, int]]:
        asked = self._where(Message, lambda m: since <= m.created_at < until,
                            role=Role.CUSTOMER, decision=Decision.NONE)  # fmt: skip
        return Counter(m.text for m in asked).most_common(limit)

    def _delete(self, record: type[R], counts: Counter[str], label: str, test: Test) -> None:
        rows = self.uow.rows[record]
        doomed = [row_id for row_id, row in rows.items() if test(row)]
        for row_id in doomed:
            del rows[row_id]
        counts[label] += len(doomed)  # 0 is counted too, as the SQL rowcounts are

    def _delete_conversations(self, ids: set[int | None], counts: Counter[str]) -> None:
        if not ids:
            return
        said = {m.id for m in self._where(Message, lambda m: m.conversation_id in ids)}
        self._delete(Feedback, counts, "feedback", lambda f: f.message_id in said)
        self._delete(Satisfaction, counts, "satisfaction", lambda r: r.conversation_id in ids)
        self._delete(ArticleDraft, counts, "article drafts", lambda d: d.conversation_id in ids)
        self._delete(Escalation, counts, "escalations", lambda e: e.conversation_id in ids)
        self._delete(StageChange, counts, "stage changes", lambda s: s.conversation_id in ids)
        self._delete(Message, counts, "messages", lambda m: m.conversation_id in ids)
        self._delete(Conversation, counts, "conversations", lambda c: c.id in ids)

    def erase_user(self, user_id: str) -> Counter[str]:
        """Delete all held about a Slack user, in every workspace; counts per kind."""
        counts: Counter[str] = Counter()
        customers = {c.id for c in self._where(Customer, user_id=user_id)}
        theirs = self._where(Conversation, lambda c: c.customer_id in customers)
        self._delete_conversations({c.id for c in theirs}, counts)
        self._delete(StageChange, counts, "stage changes", lambda s: s.customer_id in customers)
        self._delete(Customer, counts, "customers", lambda c: c.id in customers)
        return counts

    def erase_before(self, before: datetime, finished_calls: Iterable[str]) -> Counter[str]:
        """Delete conversations last active before `before` with all they hold."""
        counts: Counter[str] = Counter()
        old = self._where(Conversation, lambda c: c.last_activity_at < before)
        self._delete_conversations({c.id for c in old}, counts)
        return counts

    # charts and trends

    def escalation_times(self, since: datetime, until: datetime) -> dict[str, StageTimes]:
        """Per stage of conversations opened in [since, until): minutes to the first agent
        message after each escalation (until it was resolved), and to its resolution."""
        stages = {c.id: c.stage for c in self._where(Conversation,
                                                      lambda c: since <= c.opened_at < until)}
        replies: dict[str, list[float]] = {}
        resolves: dict[str, list[float]] = {}
        for escalation in self._where(Escalation, lambda e: e.conversation_id in stages):
            stage, raised, ended = (stages[escalation.conversation_id], escalation.created_at,
                                    escalation.resolved_at)  # fmt: skip
            answers = [m.created_at for m in self._where(
                Message, lambda m: m.created_at >= raised  # noqa: B023
                and (ended is None or m.created_at <= ended),  # noqa: B023
                conversation_id=escalation.conversation_id, role=Role.AGENT)]  # fmt: skip
            if answers:
                replies.setdefault(stage, []).append((min(answers) - raised).total_seconds() / 60)
            if ended is not None:
                resolves.setdefault(stage, []).append((ended - raised).total_seconds() / 60)
        return {stage: StageTimes(tuple(sorted(replies.get(stage, ()))),
                                  tuple(sorted(resolves.get(stage, ()))))
                for stage in sorted(replies.keys() | resolves.keys())}  # fmt: skip

    def weekly_counts(self, bounds: list[datetime]) -> dict[int, dict[str, tuple[int, int]]]:
        counts: dict[int, dict[str, tuple[int, int]]] = {}
        for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
            for c in self._where(Conversation, lambda c: start <= c.opened_at < end):  # noqa: B023
                conversations, alone = counts.setdefault(index, {}).get(c.stage, (0, 0))
                counts[index][c.stage] = (conversations + 1,
                                          alone + (c.resolution == SELF_SERVICE))  # fmt: skip
        return counts

    # knowledge gaps

    def unanswered_questions(self, since: datetime, until: datetime) -> list[Unanswered]:
        conversations = {c.id: c for c in self._where(Conversation)}
        found: dict[int, Unanswered] = {}

        def asked(question: Message, stage: str, tried: tuple[str, ...] = ()) -> Unanswered:
            conversation = conversations[question.conversation_id]
            return Unanswered(question.text, str(conversation.customer_id), stage,
                              question.created_at, question.language, tried)  # fmt: skip

        in_period = self._where(Message, lambda m: since <= m.created_at < until,
                                role=Role.CUSTOMER)  # fmt: skip
        for question in in_period:
            if question.decision == Decision.NONE:
                assert question.id is not None
                found[question.id] = asked(question, conversations[question.conversation_id].stage)
        questions = {m.id: m for m in in_period}
        for rating in self._where(Feedback, helpful=False):
            answer = self.uow.rows[Message].get(rating.message_id)
            if answer is None or answer.role != Role.BOT:
                continue
            before = [m.id for m in self._where(Message, lambda m: m.id < answer.id,  # noqa: B023
                                                conversation_id=answer.conversation_id,
                                                role=Role.CUSTOMER)]  # fmt: skip
            question_id = answer.reply_to_id or (before[-1] if before else None)
            if question_id not in questions:
                continue
            question = questions[question_id]
            earlier = found.get(question_id)
            tried = earlier.articles if earlier else ()
            if answer.article_id and answer.article_id not in tried:
                tried = (*tried, answer.article_id)
            stage = rating.stage or conversations[question.conversation_id].stage
            found[question_id] = asked(question, stage, tried)
        return [found[key] for key in sorted(found, key=lambda key: (found[key].at, key))]


def _most(rows: list[R], field: str, limit: int) -> list[R]:
    """The first `limit` by `field`, highest first; ties in id order (SQL leaves them open)."""
    return sorted(rows, key=attrgetter(field), reverse=True)[:limit]


def _unresolved(escalation: Escalation) -> bool:
    return escalation.status != RESOLVED


# knowledge gaps: the record the method above returns (kept with it, at the end)
from knowledge_base.gaps import Unanswered  # noqa: E402
