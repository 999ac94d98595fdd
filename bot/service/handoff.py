"""The live-agent handoff: escalation cards, claiming, relaying, resolving. Slack-free.

Who may do what is decided here, not in the Slack listeners, so every way in (button, command,
thread reply, a forged request) meets the same rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.service.actors import Actor, require_staff
from bot.service.errors import NotAllowedError, NotFoundError
from bot.service.knowledge import KnowledgeHolder
from bot.service.outcomes import Card, ClaimResult, CustomerRef, Edit, Relay
from bot.service.ports import Store, UnitOfWork
from bot.service.records import Conversation, Escalation, Message, Satisfaction
from bot.service.redaction import MAX_AGENT_TEXT, clean_incoming
from bot.service.vocabulary import (
    ConversationStatus,
    Decision,
    EscalationStatus,
    Resolution,
    Role,
)
from lifecycle import StageModel

RECENT_MESSAGES = 6
# What a deleted message's stored text becomes: the words go, the turn stays.
DELETED_BY_CUSTOMER = "(the customer deleted this message)"
DELETED_BY_AGENT = "(the agent deleted this message)"


class Handoff:
    """Use cases of support agents and leads on escalations."""

    def __init__(self, store: Store, knowledge: KnowledgeHolder, model: StageModel) -> None:
        self.store = store
        self.knowledge = knowledge  # shared with the desk: a reload reaches both
        self.model = model

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
        require_staff(actor, "Only support agents can claim a conversation.")
        with self.store.unit_of_work() as uow:
            self._escalation(uow, escalation_id)
            won, escalation = uow.repo.claim_escalation(escalation_id, actor.user_id, at)
            if won:
                self._conversation(uow, escalation).status = ConversationStatus.CLAIMED
            card = self._card(uow, escalation)
            uow.commit()
            return ClaimResult(won, escalation.assigned_agent, card)

    def resolve(self, escalation_id: int, actor: Actor, at: datetime) -> Card:
        """Hand the conversation back to the app; only its agent (or a lead) may."""
        with self.store.unit_of_work() as uow:
            escalation = self._escalation(uow, escalation_id)
            self._check_holder(escalation, actor)
            if escalation.status != EscalationStatus.RESOLVED:
                escalation.status, escalation.resolved_at = EscalationStatus.RESOLVED, at
                conversation = self._conversation(uow, escalation)
                conversation.status = ConversationStatus.RESOLVED
                conversation.resolution = Resolution.BY_AGENT
                conversation.resolved_at = at
            card = self._card(uow, escalation)
            uow.commit()
            return card

    def unclaim(self, escalation_id: int, actor: Actor, at: datetime) -> Card:
        """Give the conversation back to the queue (its agent or a lead): open again, the app
        still quiet, the card asking for a person."""
        return self._hand_over(escalation_id, actor, None, at)

    def reassign(self, escalation_id: int, actor: Actor, to: Actor, at: datetime) -> Card:
        """Pass the conversation to another agent (its agent or a lead may)."""
        if not (to.is_agent or to.is_lead):
            raise NotAllowedError(f"<@{to.user_id}> is not a support agent.")
        return self._hand_over(escalation_id, actor, to.user_id, at)

    def _hand_over(self, escalation_id: int, actor: Actor, to: str | None, at: datetime) -> Card:
        with self.store.unit_of_work() as uow:
            escalation = self._escalation(uow, escalation_id)
            if escalation.status != EscalationStatus.CLAIMED or not escalation.assigned_agent:
                raise NotAllowedError("Nobody has this conversation: claim it first.")
            self._check_holder(escalation, actor)
            holder = escalation.assigned_agent
            won, escalation = uow.repo.hand_over(escalation_id, holder, to, at)
            if not won:
                raise NotAllowedError("It changed hands meanwhile; look at the card again.")
            if to is None:
                self._conversation(uow, escalation).status = ConversationStatus.ESCALATED
            card = self._card(uow, escalation)
            uow.commit()
            return card

    def rate(self, who: CustomerRef, escalation_id: int, satisfied: bool, at: datetime) -> bool:
        """The customer's verdict on a resolved escalation: theirs only, once (a second tap
        keeps the first). Returns whether it was recorded now."""
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.escalation(escalation_id)
            if escalation is None or escalation.status != EscalationStatus.RESOLVED:
                raise NotFoundError("There is nothing to rate here.")
            conversation = self._conversation(uow, escalation)
            customer = uow.repo.customer_by_id(conversation.customer_id)
            if customer is None or customer.user_id != who.user_id:
                raise NotAllowedError("Only the customer of this conversation can rate it.")
            assert escalation.id is not None and conversation.id is not None
            _, ours = uow.repo.add_satisfaction(Satisfaction(
                escalation.id, conversation.id, satisfied, escalation.stage, at
            ))  # fmt: skip
            uow.commit()
            return ours

    def agent_message(
        self, channel: str, thread_ts: str, author: str, text: str, at: datetime,
        slack_ts: str | None = None,
    ) -> Relay | None:
        """A reply in a card's thread: the assigned agent's goes to the customer (returned),
        anyone else's stays an internal note (None)."""
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.escalation_by_thread(channel, thread_ts)
            if (
                escalation is None
                or escalation.status != EscalationStatus.CLAIMED
                or escalation.assigned_agent != author
            ):
                return None
            conversation = self._conversation(uow, escalation)
            text = clean_incoming(text, MAX_AGENT_TEXT)  # an agent may paste a card number too
            stored = self._store_agent_message(uow, conversation, text, at, slack_ts=slack_ts)
            uow.commit()
            assert stored.id is not None
            return Relay(conversation.channel, conversation.thread_ts, text, author, stored.id,
                         escalation_id=escalation.id)  # fmt: skip

    def staff_reply(
        self, channel: str, thread_ts: str, actor: Actor, text: str, at: datetime
    ) -> tuple[Card, bool] | None:
        """An agent wrote in a customer's thread: they take the conversation over, as Claim
        does (the app stays quiet from now on), raising an escalation for it if there was none.
        Returns the card and whether it is new; None when the thread holds no conversation,
        the writer is no agent, or another agent already has it (then it stays a note)."""
        if not (actor.is_agent or actor.is_lead):
            return None
        with self.store.unit_of_work() as uow:
            conversation = uow.repo.conversation_in_thread(channel, thread_ts)
            if conversation is None or conversation.id is None:
                return None
            escalation = uow.repo.open_escalation(conversation.id)
            new = escalation is None
            if escalation is None:
                escalation, new = uow.repo.add_escalation(
                    Escalation(
                        conversation_id=conversation.id,
                        stage=conversation.stage,
                        signals=[],
                        reasons=["an agent answered in the customer's thread"],
                        score=0.0,
                        status=EscalationStatus.OPEN,
                        created_at=at,
                    )
                )
            assert escalation.id is not None
            if escalation.status == EscalationStatus.OPEN:
                won, escalation = uow.repo.claim_escalation(escalation.id, actor.user_id, at)
                if won:
                    conversation.status = ConversationStatus.CLAIMED
            if escalation.assigned_agent != actor.user_id:
                uow.commit()
                return None
            self._store_agent_message(uow, conversation, clean_incoming(text, MAX_AGENT_TEXT), at)
            card = self._card(uow, escalation)
            uow.commit()
            return card, new

    def send_article(
        self,
        actor: Actor,
        article_id: str,
        at: datetime,
        escalation_id: int | None = None,
    ) -> Relay:
        """An agent sends a knowledge-base article to the customer of their escalation, worded
        exactly as the customer would get it in their language."""
        require_staff(actor, "Only support agents can send articles to customers.")
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
            conversation = self._conversation(uow, escalation)
            customer = uow.repo.customer_by_id(conversation.customer_id)
            article = self.knowledge.kb.get(article_id, customer.locale if customer else None)
            if article is None or not article.is_public:
                raise NotFoundError(f"There is no public article {article_id!r}.")
            stored = self._store_agent_message(uow, conversation, article.answer, at, article.id)
            uow.commit()
            assert stored.id is not None
            return Relay(
                conversation.channel, conversation.thread_ts, article.answer, actor.user_id,
                stored.id, article, escalation.id,
            )  # fmt: skip

    def customer_edited(self, channel: str, ts: str, text: str | None) -> Edit | None:
        """A customer edited (or, text None, deleted) a message: kept as it now reads, and
        its copy in the card's thread follows while a person is on the conversation."""
        with self.store.unit_of_work() as uow:
            found = uow.repo.customer_message_by_ts(channel, ts)
            if found is None:
                return None
            message, conversation = found
            new = clean_incoming(text) if text is not None else None
            if new == message.text:
                return None  # Slack also sends "changed" for unfurled links
            assert conversation.id is not None
            message.text = new if new is not None else DELETED_BY_CUSTOMER
            escalation = uow.repo.open_escalation(conversation.id)
            reply = uow.repo.reply_to(message)
            customer = uow.repo.customer_by_id(conversation.customer_id)
            uow.commit()
            if escalation is None or escalation.id is None or customer is None:
                return None
            relayed = reply is not None and reply.decision == Decision.RELAYED
            return Edit(escalation.id, customer.user_id, customer.user_id, new,
                        f"to-agents:{reply.id}" if relayed and reply else None,
                        to_customer=False, language=customer.locale,
                        copy_channel=escalation.agent_channel or "")  # fmt: skip

    def agent_edited(
        self, channel: str, thread_ts: str, ts: str, text: str | None
    ) -> Edit | None:
        """An agent edited (or deleted) a reply the customer got: the customer's copy
        follows, with a visible mark."""
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.escalation_by_thread(channel, thread_ts)
            if escalation is None or escalation.id is None:
                return None
            conversation = self._conversation(uow, escalation)
            assert conversation.id is not None
            message = next((m for m in uow.repo.messages(conversation.id)
                            if m.role == Role.AGENT and m.slack_ts == ts), None)  # fmt: skip
            if message is None:
                return None  # an internal note: never reached the customer
            new = clean_incoming(text, MAX_AGENT_TEXT) if text is not None else None
            if new == message.text:
                return None
            message.text = new if new is not None else DELETED_BY_AGENT
            customer = uow.repo.customer_by_id(conversation.customer_id)
            uow.commit()
            assert customer is not None
            return Edit(escalation.id, customer.user_id, escalation.assigned_agent or "", new,
                        f"agent-message:{message.id}", to_customer=True,
                        language=customer.locale, copy_channel=conversation.channel)  # fmt: skip

    def escalation_at_card(self, channel: str, ts: str) -> int | None:
        """The escalation whose card is the message `ts` in `channel`, if it is one."""
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.escalation_by_thread(channel, ts)
            return escalation.id if escalation is not None else None

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
            return [
                self._card(uow, e) for e in uow.repo.escalations_with_status(EscalationStatus.OPEN)
            ]

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
        require_staff(actor, "Only support agents can do that.")
        holder = escalation.assigned_agent
        if holder and holder != actor.user_id and not actor.is_lead:
            raise NotAllowedError(f"<@{holder}> has this conversation; ask them or a lead.")

    @staticmethod
    def _escalation(uow: UnitOfWork, escalation_id: int) -> Escalation:
        escalation = uow.repo.escalation(escalation_id)
        if escalation is None:
            raise NotFoundError(f"Escalation {escalation_id} does not exist.")
        return escalation

    @staticmethod
    def _conversation(uow: UnitOfWork, escalation: Escalation) -> Conversation:
        conversation = uow.repo.conversation(escalation.conversation_id)
        assert conversation is not None, f"escalation {escalation.id} lost its conversation"
        return conversation

    @staticmethod
    def _store_agent_message(
        uow: UnitOfWork,
        conversation: Conversation,
        text: str,
        at: datetime,
        article_id: str | None = None,
        slack_ts: str | None = None,
    ) -> Message:
        assert conversation.id is not None
        message = uow.repo.add_message(
            Message(
                conversation_id=conversation.id,
                role=Role.AGENT,
                text=text,
                created_at=at,
                article_id=article_id,
                decision=Decision.AGENT,
                slack_ts=slack_ts,  # where the agent wrote it: an edit or deletion follows it
            )  # fmt: skip
        )
        conversation.last_activity_at = max(conversation.last_activity_at, at)
        return message

    def _card(self, uow: UnitOfWork, escalation: Escalation) -> Card:
        conversation = self._conversation(uow, escalation)
        customer = uow.repo.customer_by_id(conversation.customer_id)
        assert customer is not None and conversation.id is not None and escalation.id is not None
        messages = uow.repo.messages(conversation.id)
        recent = tuple((m.role, m.text) for m in messages if m.role != Role.BOT)
        tried: dict[str, str] = {}
        for message in messages:
            if message.role == Role.BOT and message.article_id:
                found = self.knowledge.kb.get(message.article_id, message.language)
                tried[message.article_id] = found.title if found else message.article_id
        stage = escalation.stage
        name = self.model.stage(stage).name() if stage in self.model else stage
        waiting_since = None
        for message in messages:
            if message.role == Role.AGENT:
                waiting_since = None
            elif message.role == Role.CUSTOMER and waiting_since is None:
                waiting_since = message.created_at
        return Card(
            escalation_id=escalation.id,
            status=escalation.status,
            customer_user=customer.user_id,
            customer_team=customer.team_id,
            stage=stage,
            stage_name=name,
            reasons=tuple(escalation.reasons),
            signals=tuple(escalation.signals),
            recent=recent[-RECENT_MESSAGES:],
            articles_tried=tuple(tried.items()),
            assigned_agent=escalation.assigned_agent,
            customer_channel=conversation.channel,
            customer_thread=conversation.thread_ts,
            agent_channel=escalation.agent_channel,
            agent_thread_ts=escalation.agent_thread_ts,
            created_at=escalation.created_at,
            claimed_at=escalation.claimed_at,
            resolved_at=escalation.resolved_at,
            waiting_since=waiting_since,
            language=customer.locale,
        )
