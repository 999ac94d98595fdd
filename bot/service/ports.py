"""What the service needs from a store, as named reads and writes (the port).

bot/store implements it over SQL (SQLite or PostgreSQL); tests/fakes/store.py implements it in
memory. The unit of work owns the transaction: nothing is kept unless `commit()` is called, and
changes made to records read through it are saved when it commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

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
from lifecycle.summary import StageCounts, StageTimes


class Repository(Protocol):
    """Every query and write the use cases make."""

    # -- customers ------------------------------------------------------------------------
    def customer(self, team_id: str, user_id: str) -> Customer | None: ...
    def customer_by_id(self, customer_id: int) -> Customer | None: ...
    def get_or_create_customer(
        self, team_id: str, user_id: str, stage: str, now: datetime, locale: str | None = None
    ) -> tuple[Customer, bool]:
        """The customer, created at `stage` if new (True then); a concurrent creation wins."""
        ...

    def customer_history(self, customer_id: int) -> tuple[int, int]:
        """How many conversations and customer messages this customer has had."""
        ...

    def recent_customer_messages(self, customer_id: int, limit: int = 5) -> list[Message]: ...
    def lead_candidates(self, min_score: float, limit: int = 500) -> list[Customer]: ...
    def drifting_candidates(
        self, seen_after: datetime, seen_before: datetime, leaving: str | None, limit: int = 500
    ) -> list[Customer]:
        """Seen since `seen_after`, and in `leaving` or with a usual gap and quiet since
        `seen_before`; most recently seen first."""
        ...

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
        """A new open conversation, last active `at`; its timers due at `due_at`."""
        ...

    def conversation(self, conversation_id: int) -> Conversation | None: ...
    def active_conversation(
        self, customer_id: int, channel: str, thread_ts: str
    ) -> Conversation | None: ...
    def latest_conversation(self, customer_id: int) -> Conversation | None: ...
    def conversation_in_thread(self, channel: str, thread_ts: str) -> Conversation | None:
        """The active conversation of a customer channel's thread, whoever the customer."""
        ...

    def due_conversations(self, now: datetime, limit: int) -> list[Conversation]: ...
    def active_in_stage(self, stage: str, limit: int) -> list[Conversation]: ...

    # -- messages and feedback ------------------------------------------------------------
    def add_message(self, message: Message) -> Message:
        """Store a new message; it has its id on return."""
        ...

    def message(self, message_id: int) -> Message | None: ...
    def messages(self, conversation_id: int) -> list[Message]: ...
    def last_bot_answer(self, conversation_id: int) -> Message | None: ...
    def last_customer_message(self, conversation_id: int) -> Message | None: ...
    def customer_message_by_ts(
        self, channel: str, slack_ts: str
    ) -> tuple[Message, Conversation] | None: ...
    def reply_to(self, message: Message) -> Message | None: ...
    def feedback_for(self, message_ids: Iterable[int]) -> dict[int, Feedback]: ...
    def messages_with_feedback(
        self, conversation_id: int
    ) -> tuple[list[Message], dict[int, Feedback]]:
        """A conversation's messages in order and the feedback on them, in one read."""
        ...

    def add_feedback(self, feedback: Feedback) -> Feedback: ...

    # -- stages ---------------------------------------------------------------------------
    def add_stage_change(self, change: StageChange) -> StageChange: ...
    def stage_changes(self, customer_id: int) -> list[StageChange]: ...
    def conversation_stages(self, conversation_id: int) -> list[str]: ...

    # -- escalations ----------------------------------------------------------------------
    def escalation(self, escalation_id: int) -> Escalation | None: ...
    def open_escalation(self, conversation_id: int) -> Escalation | None: ...
    def add_escalation(self, escalation: Escalation) -> tuple[Escalation, bool]:
        """Store it unless the conversation has an open one already; (the open one, ours?)."""
        ...

    def claim_escalation(
        self, escalation_id: int, agent: str, at: datetime
    ) -> tuple[bool, Escalation]:
        """Atomically give an open escalation to `agent`: when two try, exactly one wins.
        Returns whether this one won, and the escalation as it now is."""
        ...

    def escalation_by_thread(self, channel: str, thread_ts: str) -> Escalation | None: ...
    def claimed_by(self, agent: str) -> list[Escalation]: ...
    def escalations_with_status(self, status: str) -> list[Escalation]: ...
    def unclaimed_before(self, cutoff: datetime) -> list[Escalation]: ...
    def hand_over(
        self, escalation_id: int, holder: str, to: str | None, at: datetime
    ) -> tuple[bool, Escalation]:
        """Atomically pass a claimed escalation from `holder` to `to` (None: back to open);
        False when it is no longer `holder`'s. Returns the escalation as it now is."""
        ...

    # -- satisfaction and article drafts --------------------------------------------------
    def add_satisfaction(self, rating: Satisfaction) -> tuple[Satisfaction, bool]:
        """Store the verdict unless the escalation has one; (the stored one, ours?)."""
        ...

    def satisfaction_counts(self, since: datetime, until: datetime) -> dict[str, tuple[int, int]]:
        """Per stage: (ratings, satisfied ones) given in [since, until)."""
        ...

    def add_draft(self, draft: ArticleDraft) -> ArticleDraft: ...
    def draft(self, draft_id: int) -> ArticleDraft | None: ...
    def drafts_with_status(self, status: str, limit: int = 50) -> list[ArticleDraft]: ...

    # -- reports --------------------------------------------------------------------------
    def stage_counts(self, since: datetime, until: datetime) -> dict[str, StageCounts]: ...
    def transition_counts(
        self, since: datetime, until: datetime
    ) -> list[tuple[str | None, str, int]]: ...
    def unanswered_counts(
        self, since: datetime, until: datetime, limit: int = 50
    ) -> list[tuple[str, int]]: ...

    # -- erasure --------------------------------------------------------------------------
    def erase_user(self, user_id: str) -> Counter[str]:
        """Delete all held about a Slack user, in every workspace; counts per kind."""
        ...

    def erase_before(self, before: datetime, finished_calls: Iterable[str]) -> Counter[str]:
        """Delete conversations last active before `before` with all they hold, received
        events before it, and queued Slack calls before it in the `finished_calls` states."""
        ...

    # charts and trends
    def escalation_times(self, since: datetime, until: datetime) -> dict[str, StageTimes]:
        """Per stage of conversations opened in [since, until): minutes from each escalation
        to the first agent message the customer got, and to its resolution."""
        ...

    def weekly_counts(self, bounds: list[datetime]) -> dict[int, dict[str, tuple[int, int]]]:
        """Conversations opened in each window [bounds[i], bounds[i + 1]): window index ->
        stage -> (conversations, self-service)."""
        ...

    # knowledge gaps
    def unanswered_questions(self, since: datetime, until: datetime) -> list[Unanswered]:
        """Customer questions asked in [since, until) that search had nothing for or whose
        answer was marked not helpful, oldest first (the most recent 20,000 of each kind)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the store."""

    repo: Repository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def batched(self) -> AbstractContextManager[None]:
        """Inside: reads do not first write what is pending, so a use case that reads
        everything it needs first writes it all at once, in one flush."""
        ...


class Store(Protocol):
    """Where the service keeps everything."""

    def unit_of_work(self) -> UnitOfWork: ...


# knowledge gaps: the record the method above returns (kept with it, below the classes)
from knowledge_base.gaps import Unanswered  # noqa: E402
