"""Finding the customer and their conversation, storing messages, building replies: the steps
every desk use case is made of, inside one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.service.errors import NotFoundError
from bot.service.escalating import info_of
from bot.service.knowledge import KnowledgeHolder
from bot.service.outcomes import CustomerRef, Reply
from bot.service.ports import UnitOfWork
from bot.service.records import Conversation, Customer, Message
from bot.service.vocabulary import ConversationStatus, Decision, Resolution, Role, StageSource
from knowledge_base import Article
from lifecycle import StageModel
from lifecycle.scores import usual_gap

# A conversation silent this long is over; the next message starts a new one.
CONVERSATION_IDLE = timedelta(hours=24)
COURTESY_WINDOW = timedelta(hours=1)


class Conversations:
    """Customers, conversations and messages as the use cases need them."""

    def __init__(
        self,
        model: StageModel,
        knowledge: KnowledgeHolder,
        default_locale: str,
        idle: timedelta = timedelta(minutes=15),
    ) -> None:
        self.model = model
        self.knowledge = knowledge
        self.default_locale = default_locale
        self.idle = idle  # how long a buyer may wait before the idle check looks at them

    def touch(self, conversation: Conversation, at: datetime) -> None:
        """Something happened in the conversation at `at`: its idle check falls due anew."""
        conversation.last_activity_at = max(conversation.last_activity_at, at)
        self.schedule(conversation, at)

    def schedule(self, conversation: Conversation, now: datetime) -> None:
        """Set when the timers must next look at the conversation, as of `now`: the idle
        check if it is not past, else the close as abandoned; never while a person has it."""
        if conversation.status != ConversationStatus.OPEN:
            conversation.due_at = None
            return
        conversation.due_at = self._due(conversation.last_activity_at, now)

    def _due(self, last_activity_at: datetime, now: datetime) -> datetime:
        """When the timers must next look at an open conversation last active then."""
        idle_check = _after(last_activity_at, self.idle)
        return idle_check if now < idle_check else _after(last_activity_at, CONVERSATION_IDLE)

    def customer(
        self, uow: UnitOfWork, who: CustomerRef, at: datetime, locale: str | None
    ) -> tuple[Customer, bool]:
        """The customer writing now, created at the default stage when new; and whether
        they were created just now (so they have no conversation yet)."""
        customer, created = uow.repo.get_or_create_customer(
            who.team_id, who.user_id, self.model.default_stage, at, locale
        )
        if customer.stage not in self.model:
            # The stage model changed since this customer was seen: start them afresh.
            customer.stage, customer.stage_source = self.model.default_stage, StageSource.DEFAULT
        customer.last_seen = max(customer.last_seen, at)
        if locale and not customer.locale:
            customer.locale = locale
        return customer, created

    def find_or_start(
        self,
        uow: UnitOfWork,
        customer: Customer,
        channel: str,
        thread_ts: str,
        at: datetime,
        reuse_resolved: bool = False,
        new_customer: bool = False,
    ) -> tuple[Conversation, bool]:
        """The conversation going on in this channel and thread, or a new one; and whether
        it was started just now (so it holds nothing yet). A customer created in this unit
        of work (`new_customer`) has none to look up."""
        assert customer.id is not None
        conversation = None
        if not new_customer:
            conversation = uow.repo.active_conversation(customer.id, channel, thread_ts)
        if conversation is None and reuse_resolved and not new_customer:
            # A "thanks" right after a resolved question belongs to it, not to a new one.
            latest = uow.repo.latest_conversation(customer.id)
            if (
                latest is not None
                and (latest.channel, latest.thread_ts) == (channel, thread_ts)
                and at - latest.last_activity_at <= COURTESY_WINDOW
            ):
                self.touch(latest, at)
                return latest, False
        if (
            conversation is not None
            and conversation.status == ConversationStatus.OPEN
            and at - conversation.last_activity_at > CONVERSATION_IDLE
        ):
            conversation.status = ConversationStatus.RESOLVED
            conversation.resolution = Resolution.ABANDONED
            conversation.resolved_at = conversation.last_activity_at
            conversation = None
        started = conversation is None
        if conversation is None:
            # Stored with its due time, as `touch` below would set it: written once.
            conversation = uow.repo.start_conversation(
                customer.id, channel, thread_ts, customer.stage, at, due_at=self._due(at, at)
            )
            customer.usual_gap_days = usual_gap(
                customer.usual_gap_days, customer.last_conversation_at, at
            )
            customer.last_conversation_at = at
        self.touch(conversation, at)
        return conversation, started

    @staticmethod
    def add_message(
        uow: UnitOfWork,
        conversation: Conversation,
        role: Role,
        text: str,
        at: datetime,
        **fields: object,
    ) -> Message:
        """Store a message in the conversation."""
        assert conversation.id is not None
        return uow.repo.add_message(
            Message(conversation_id=conversation.id, role=role, text=text, created_at=at,
                    **fields),  # type: ignore[arg-type]
        )  # fmt: skip

    def reply(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        decision: Decision,
        text: str,
        language: str,
        *,
        article: Article | None = None,
        suggestions: Sequence[Article] = (),
        score: float | None = None,
        at: datetime | None = None,
        **extra: object,
    ) -> Reply:
        """Store the app's reply and describe it for the caller to show."""
        assert conversation.id is not None
        stored = self.add_message(
            uow,
            conversation,
            Role.BOT,
            text,
            at or conversation.last_activity_at,
            language=language,
            decision=decision,
            article_id=article.id if article else None,
            score=score,
        )
        return Reply(
            conversation_id=conversation.id,
            decision=decision,
            text=text,
            language=language,
            stage=conversation.stage,
            message_id=stored.id,
            article=article,
            suggestions=tuple(suggestions),
            channel=conversation.channel,
            thread_ts=conversation.thread_ts,
            **extra,  # type: ignore[arg-type]
        )

    def earlier_reply(self, uow: UnitOfWork, channel: str, slack_ts: str) -> Reply | None:
        """The reply already given to the message Slack sent as (channel, ts), rebuilt."""
        found = uow.repo.customer_message_by_ts(channel, slack_ts)
        if found is None:
            return None
        asked, conversation = found
        assert conversation.id is not None
        reply = uow.repo.reply_to(asked)
        if reply is None:
            return None  # stored the question but died before the answer: cannot happen in
            # one transaction, kept as a guard
        kb = self.knowledge.kb
        article = kb.get(reply.article_id, reply.language) if reply.article_id else None
        suggestions: tuple[Article, ...] = ()
        if reply.decision == Decision.SUGGEST:
            found_again = self.knowledge.searcher.search(asked.text, language=asked.language)
            suggestions = tuple(hit.article for hit in found_again.related)
        escalation = uow.repo.open_escalation(conversation.id)
        info = None
        if escalation is not None and escalation.created_at >= asked.created_at:
            info = info_of(escalation, new=escalation.agent_thread_ts is None)
        return Reply(
            conversation_id=conversation.id,
            decision=Decision(reply.decision or Decision.NONE),
            text=reply.text,
            language=reply.language or self.default_locale,
            stage=conversation.stage,
            message_id=reply.id,
            article=article,
            suggestions=suggestions,
            escalation=info,
            channel=conversation.channel,
            thread_ts=conversation.thread_ts,
        )

    @staticmethod
    def place_of(uow: UnitOfWork, customer: Customer, message_id: int) -> tuple[str, str]:
        """Where the conversation holding this message of the app's lives, if it is the
        customer's: a button press answers there, whatever channel its payload names."""
        message = uow.repo.message(message_id)
        conversation = uow.repo.conversation(message.conversation_id) if message else None
        if conversation is None or conversation.customer_id != customer.id:
            raise NotFoundError("That button no longer points to one of your conversations.")
        return conversation.channel, conversation.thread_ts

    @staticmethod
    def rated_message(
        uow: UnitOfWork, customer: Customer, message_id: int | None
    ) -> Message | None:
        """The answer a customer rates: the one given, if theirs, else their latest."""
        assert customer.id is not None
        if message_id is not None:
            message = uow.repo.message(message_id)
            if message is None:
                return None
            conversation = uow.repo.conversation(message.conversation_id)
            if conversation is None or conversation.customer_id != customer.id:
                return None
            return message
        latest = uow.repo.latest_conversation(customer.id)
        return uow.repo.last_bot_answer(latest.id) if latest and latest.id else None


def _after(at: datetime, delay: timedelta) -> datetime:
    """`at + delay`, or the last time there is when that falls past year 9999."""
    try:
        return at + delay
    except OverflowError:
        return datetime.max.replace(tzinfo=at.tzinfo)
