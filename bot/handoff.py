"""The live-agent handoff: escalation cards, claiming, relaying, resolving. Slack-free.

Who may do what is decided here, not in the Slack listeners, so every way in (button, command,
thread reply, a forged request) meets the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from bot.store.models import (
    AGENT,
    BY_AGENT,
    CLAIMED,
    OPEN,
    RESOLVED,
    Conversation,
    Escalation,
    Message,
)
from bot.store.unit_of_work import Store, UnitOfWork
from knowledge_base import Article, KnowledgeBase
from lifecycle import StageModel

RECENT_MESSAGES = 6


@dataclass(frozen=True)
class Actor:
    """Who pressed a button or typed a command, and what they are allowed to be."""

    user_id: str
    is_agent: bool = False
    is_lead: bool = False

    @property
    def is_staff(self) -> bool:
        return self.is_agent or self.is_lead


class NotAllowedError(PermissionError):
    """The actor may not do this; the message is fit to show them."""


class NotFoundError(LookupError):
    """The escalation or article does not exist (any more)."""


@dataclass(frozen=True)
class Card:
    """What an escalation card shows an agent."""

    escalation_id: int
    status: str
    customer_user: str
    customer_team: str
    stage: str
    stage_name: str
    reasons: tuple[str, ...]
    signals: tuple[str, ...]
    recent: tuple[tuple[str, str], ...]  # (role, redacted text), oldest first
    articles_tried: tuple[tuple[str, str], ...]  # (id, title)
    assigned_agent: str | None
    customer_channel: str
    customer_thread: str
    agent_channel: str | None
    agent_thread_ts: str | None
    created_at: datetime


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    holder: str | None  # who has it now
    card: Card


@dataclass(frozen=True)
class Relay:
    """A message to deliver to a customer on an agent's behalf."""

    channel: str
    thread_ts: str
    text: str
    agent: str
    message_id: int  # the stored agent message: one delivery per message
    article: Article | None = None


class Handoff:
    """Use cases of support agents and leads on escalations."""

    def __init__(self, store: Store, kb_of: Callable[[], KnowledgeBase], model: StageModel) -> None:
        self.store = store
        self._kb_of = kb_of  # the desk's current knowledge base (it may be reloaded)
        self.model = model

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb_of()

    def card(self, escalation_id: int) -> Card:
        with self.store.unit_of_work() as uow:
            return self._card(uow, self._escalation(uow, escalation_id))

    def attach_card(self, escalation_id: int, channel: str, ts: str) -> None:
        """Remember where the card was posted: its thread is where agent and customer meet."""
        with self.store.unit_of_work() as uow:
            escalation = self._escalation(uow, escalation_id)
            escalation.agent_channel, escalation.agent_thread_ts = channel, ts
            uow.commit()

    def claim(self, escalation_id: int, actor: Actor, at: datetime) -> ClaimResult:
        """Atomically give the escalation to `actor`; when two click, exactly one wins."""
        if not actor.is_staff:
            raise NotAllowedError("Only support agents can claim a conversation.")
        with self.store.unit_of_work() as uow:
            self._escalation(uow, escalation_id)
            won = uow.session.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == OPEN)
                .values(status=CLAIMED, assigned_agent=actor.user_id, claimed_at=at)
                .execution_options(synchronize_session=False)
            ).rowcount == 1  # fmt: skip
            escalation = uow.session.get(Escalation, escalation_id, populate_existing=True)
            assert escalation is not None
            if won:
                conversation = uow.session.get(Conversation, escalation.conversation_id)
                assert conversation is not None
                conversation.status = CLAIMED
            card = self._card(uow, escalation)
            uow.commit()
            return ClaimResult(won, escalation.assigned_agent, card)

    def resolve(self, escalation_id: int, actor: Actor, at: datetime) -> Card:
        """Hand the conversation back to the app; only its agent (or a lead) may."""
        with self.store.unit_of_work() as uow:
            escalation = self._escalation(uow, escalation_id)
            self._check_holder(escalation, actor)
            if escalation.status != RESOLVED:
                escalation.status, escalation.resolved_at = RESOLVED, at
                conversation = uow.session.get(Conversation, escalation.conversation_id)
                assert conversation is not None
                conversation.status, conversation.resolution = RESOLVED, BY_AGENT
                conversation.resolved_at = at
            card = self._card(uow, escalation)
            uow.commit()
            return card

    def agent_message(
        self, channel: str, thread_ts: str, author: str, text: str, at: datetime
    ) -> Relay | None:
        """A reply in a card's thread: the assigned agent's goes to the customer (returned),
        anyone else's stays an internal note (None)."""
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.escalation_by_thread(channel, thread_ts)
            if (
                escalation is None
                or escalation.status != CLAIMED
                or escalation.assigned_agent != author
            ):
                return None
            conversation = uow.session.get(Conversation, escalation.conversation_id)
            assert conversation is not None
            stored = self._store_agent_message(uow, conversation, text, at)
            uow.commit()
            return Relay(conversation.channel, conversation.thread_ts, text, author, stored.id)

    def send_article(
        self,
        actor: Actor,
        article_id: str,
        at: datetime,
        escalation_id: int | None = None,
    ) -> Relay:
        """An agent sends a knowledge-base article to the customer of their escalation, worded
        exactly as the customer would get it in their language."""
        if not actor.is_staff:
            raise NotAllowedError("Only support agents can send articles to customers.")
        with self.store.unit_of_work() as uow:
            if escalation_id is None:
                held = uow.repo.claimed_by(actor.user_id)
                if len(held) != 1:
                    raise NotAllowedError(
                        "Claim one conversation first (you hold "
                        f"{len(held)}), or use the button under that escalation's card."
                    )
                escalation = held[0]
            else:
                escalation = self._escalation(uow, escalation_id)
            self._check_holder(escalation, actor)
            conversation = uow.session.get(Conversation, escalation.conversation_id)
            assert conversation is not None
            article = self.kb.get(article_id, conversation.customer.locale)
            if article is None or not article.is_public:
                raise NotFoundError(f"There is no public article {article_id!r}.")
            stored = self._store_agent_message(uow, conversation, article.answer, at, article.id)
            uow.commit()
            return Relay(
                conversation.channel, conversation.thread_ts, article.answer, actor.user_id,
                stored.id, article,
            )  # fmt: skip

    def open_escalation_id(self, conversation_id: int) -> int | None:
        """The conversation's escalation still in progress, if any."""
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.open_escalation(conversation_id)
            return escalation.id if escalation is not None else None

    def held_by(self, agent: str) -> list[Card]:
        """The escalations an agent holds, for their App Home."""
        with self.store.unit_of_work() as uow:
            return [self._card(uow, e) for e in uow.repo.claimed_by(agent)]

    def open_cards(self) -> list[Card]:
        with self.store.unit_of_work() as uow:
            return [self._card(uow, e) for e in uow.repo.escalations_with_status(OPEN)]

    def due_reminders(self, now: datetime, after: timedelta) -> list[Card]:
        """Unclaimed escalations waiting longer than `after` since raised or last reminded;
        each is returned once per period (marked here, in the same transaction)."""
        with self.store.unit_of_work() as uow:
            due = uow.repo.unclaimed_before(now - after)
            for escalation in due:
                escalation.reminded_at = now
            cards = [self._card(uow, e) for e in due]
            uow.commit()
            return cards

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _check_holder(escalation: Escalation, actor: Actor) -> None:
        if not actor.is_staff:
            raise NotAllowedError("Only support agents can do that.")
        holder = escalation.assigned_agent
        if holder and holder != actor.user_id and not actor.is_lead:
            raise NotAllowedError(f"<@{holder}> has this conversation; ask them or a lead.")

    @staticmethod
    def _escalation(uow: UnitOfWork, escalation_id: int) -> Escalation:
        escalation = uow.session.get(Escalation, escalation_id)
        if escalation is None:
            raise NotFoundError(f"Escalation {escalation_id} does not exist.")
        return escalation

    @staticmethod
    def _store_agent_message(
        uow: UnitOfWork,
        conversation: Conversation,
        text: str,
        at: datetime,
        article_id: str | None = None,
    ) -> Message:
        message = Message(conversation=conversation, role=AGENT, text=text, created_at=at,
                          article_id=article_id, decision="agent")  # fmt: skip
        uow.session.add(message)
        conversation.last_activity_at = max(conversation.last_activity_at, at)
        uow.flush()
        return message

    def _card(self, uow: UnitOfWork, escalation: Escalation) -> Card:
        conversation = uow.session.get(Conversation, escalation.conversation_id)
        assert conversation is not None
        messages = uow.repo.messages(conversation.id)
        recent = tuple((m.role, m.text) for m in messages if m.role != "bot")[-RECENT_MESSAGES:]
        tried: dict[str, str] = {}
        for message in messages:
            if message.role == "bot" and message.article_id:
                found = self.kb.get(message.article_id, message.language)
                tried[message.article_id] = found.title if found else message.article_id
        stage = escalation.stage
        name = self.model.stage(stage).name() if stage in self.model else stage
        return Card(
            escalation_id=escalation.id,
            status=escalation.status,
            customer_user=conversation.customer.user_id,
            customer_team=conversation.customer.team_id,
            stage=stage,
            stage_name=name,
            reasons=tuple(escalation.reasons),
            signals=tuple(escalation.signals),
            recent=recent,
            articles_tried=tuple(tried.items()),
            assigned_agent=escalation.assigned_agent,
            customer_channel=conversation.channel,
            customer_thread=conversation.thread_ts,
            agent_channel=escalation.agent_channel,
            agent_thread_ts=escalation.agent_thread_ts,
            created_at=escalation.created_at,
        )
