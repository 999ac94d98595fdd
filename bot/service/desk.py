"""The customer desk: a customer's messages, feedback, requests for a person, the timers and
stages set by hand. Slack-free and SQL-free, each use case in one unit of work over the store.

The terminal chat, the replay command, the Slack listeners and the tests all drive this service,
so a customer gets the same behaviour whichever way they reach it.
"""

from __future__ import annotations

from datetime import datetime

from bot.service.actors import Actor, require_lead, require_staff
from bot.service.conversations import CONVERSATION_IDLE, Conversations
from bot.service.errors import NotAllowedError, NotFoundError, UnknownStageError
from bot.service.escalating import Escalator, SoFar, info_of
from bot.service.knowledge import KnowledgeHolder
from bot.service.outcomes import CustomerRef, History, Reply, TimerEvent
from bot.service.phrasebook import answer_text, say
from bot.service.ports import Store, UnitOfWork
from bot.service.records import Conversation, Escalation, Feedback
from bot.service.redaction import clean_incoming
from bot.service.staging import StageKeeper
from bot.service.vocabulary import (
    ConversationStatus,
    Decision,
    EscalationStatus,
    Phrase,
    Resolution,
    Role,
)
from knowledge_base import Article, KnowledgeBase, Searcher
from knowledge_base.language import LanguageGuesser
from knowledge_base.search import AGENT_AUDIENCE, SearchResult
from lifecycle import StageModel, StuckDetector
from lifecycle.scores import contact_weight, engage
from lifecycle.smalltalk import THANKS

# A person holds conversations in any other status: the app does not answer over them.
APP_ANSWERS = (ConversationStatus.OPEN, ConversationStatus.RESOLVED)
# Customer messages the knowledge base was searched for: questions, not courtesies or relays.
SEARCHED = (Decision.ANSWER, Decision.SUGGEST, Decision.NONE)


class Desk:
    """The support desk service."""

    def __init__(
        self,
        store: Store,
        knowledge: KnowledgeHolder,
        model: StageModel,
        detector: StuckDetector,
        conversations: Conversations,
        stages: StageKeeper,
        escalator: Escalator,
        default_locale: str = "en",
    ) -> None:
        self.store = store
        self.knowledge = knowledge
        self.model = model
        self.detector = detector
        self.conversations = conversations
        self.stages = stages
        self.escalator = escalator
        self.default_locale = default_locale

    @property
    def kb(self) -> KnowledgeBase:
        return self.knowledge.kb

    @property
    def searcher(self) -> Searcher:
        return self.knowledge.searcher

    def agent_search(self, actor: Actor, query: str, limit: int = 3) -> SearchResult:
        """What agents see: the same articles customers get, plus internal ones and notes."""
        require_staff(actor)
        return self.searcher.search(query, audience=AGENT_AUDIENCE, limit=limit)

    # -- customers -----------------------------------------------------------------------

    def history(self, who: CustomerRef) -> History | None:
        """A returning customer's stage and history, or None for someone new."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(who.team_id, who.user_id)
            if customer is None or customer.id is None:
                return None
            conversations, messages = uow.repo.customer_history(customer.id)
            recent = tuple(m.text for m in uow.repo.recent_customer_messages(customer.id))
            return History(customer.stage, customer.locale, conversations, messages, recent)

    # -- a customer's message ------------------------------------------------------------

    def handle_message(
        self,
        who: CustomerRef,
        text: str,
        *,
        at: datetime,
        channel: str,
        thread_ts: str = "",
        locale: str | None = None,
        slack_ts: str | None = None,
    ) -> Reply:
        """Answer a customer's message from the knowledge base, tag the stage, and escalate
        when the customer is stuck; everything is stored in one transaction."""
        text = clean_incoming(text)
        steps = self.conversations
        # Batched: everything is read first and written in one flush at the reply.
        with self.store.unit_of_work() as uow, uow.batched():
            if slack_ts:
                earlier = steps.earlier_reply(uow, channel, slack_ts)
                if earlier is not None:
                    return earlier  # processed before a crash or a redelivery: same answer
            customer, new_customer = steps.customer(uow, who, at, locale)
            kind = self.detector.courtesy(text)
            conversation, started = steps.find_or_start(
                uow, customer, channel, thread_ts, at, reuse_resolved=kind is not None,
                new_customer=new_customer,
            )  # fmt: skip
            if conversation.status not in APP_ANSWERS:
                # A person is on it: keep the message for them, don't answer over their head.
                steps.add_message(uow, conversation, Role.CUSTOMER, text, at, slack_ts=slack_ts)
                language = customer.locale or self.default_locale
                reply = steps.reply(uow, conversation, Decision.RELAYED,
                                    say(Phrase.RELAYED, language), language)  # fmt: skip
                uow.commit()
                return reply

            if kind is not None:
                # "thanks!" is not a question: answer politely, count nothing against anyone;
                # "found it, thanks" also closes the need (the stuck assessment starts afresh).
                language = LanguageGuesser().guess(text, customer.locale) or self.default_locale
                said = Decision.CLOSING if kind == THANKS else Decision.SMALLTALK
                steps.add_message(uow, conversation, Role.CUSTOMER, text, at, language=language,
                                  decision=said, slack_ts=slack_ts)  # fmt: skip
                moved = (self.stages.closed(uow, customer, conversation, text, at)
                         if kind == THANKS else None)  # fmt: skip
                reply = steps.reply(uow, conversation, said, say(Phrase(kind), language),
                                    language, at=at, stage_changed=bool(moved and moved.changed),
                                    stage_reason=moved.reason if moved else "")  # fmt: skip
                uow.commit()
                return reply

            result = self.searcher.search(text, language=customer.locale or locale)
            language = result.language
            customer.locale = language
            best = result.best
            article = best.article if best and result.decision == Decision.ANSWER else None
            so_far = SoFar([], {}, []) if started else self.escalator.so_far(uow, conversation)
            asked = steps.add_message(
                uow,
                conversation,
                Role.CUSTOMER,
                text,
                at,
                language=language,
                decision=result.decision,
                article_id=article.id if article else None,
                score=best.score if best else None,
                slack_ts=slack_ts,
            )
            so_far.messages.append(asked)
            weight = contact_weight(conversation.stage, self.model)
            customer.lead_score = engage(customer.lead_score, customer.lead_scored_at, at, weight)
            customer.lead_scored_at = at
            left = conversation.stage
            earlier = [m.text for m in so_far.messages[:-1]
                       if m.role == Role.CUSTOMER and m.decision in SEARCHED]  # fmt: skip
            stage = self.stages.retag(uow, customer, conversation, text, article, at, earlier)
            if stage.changed and left not in so_far.earlier_stages:
                so_far.earlier_stages.append(left)

            suggestions: tuple[Article, ...] = ()
            if result.decision == Decision.ANSWER and article is not None:
                reply_text = answer_text(article.answer, article.locale, language)
                decision = Decision.ANSWER
            elif result.decision == Decision.SUGGEST:
                decision, reply_text = Decision.SUGGEST, say(Phrase.SUGGEST, language)
                suggestions = tuple(hit.article for hit in result.related)
            else:
                decision, reply_text = Decision.NONE, say(Phrase.NONE, language)

            assessment = self.escalator.assess(uow, conversation, at, so_far)
            escalation, offer = self.escalator.act_on(uow, conversation, assessment, at)
            if escalation is not None:
                handover = say(Phrase.HANDOVER, language)
                alone = decision == Decision.NONE
                reply_text = handover if alone else f"{reply_text}\n\n{handover}"
            elif offer:
                reply_text = f"{reply_text}\n\n{say(Phrase.OFFER, language)}"
            reply = steps.reply(
                uow,
                conversation,
                decision,
                reply_text,
                language,
                article=article,
                suggestions=suggestions,
                stage_changed=stage.changed,
                stage_reason=stage.reason,
                escalation=escalation,
                offer_human=offer,
                score=best.score if best else None,
                at=at,
            )
            uow.commit()
            return reply

    def choose_suggestion(
        self,
        who: CustomerRef,
        article_id: str,
        *,
        at: datetime,
        channel: str,
        thread_ts: str = "",
        from_message: int | None = None,
    ) -> Reply | None:
        """The customer picked one of the suggested articles: show it, ready to be rated.

        `from_message` is the stored reply the suggestion buttons belong to: when given, the
        article is shown in that reply's conversation (or NotFoundError if it is not theirs)."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(who.team_id, who.user_id)
            if customer is None:
                return None
            if from_message is not None:
                channel, thread_ts = self.conversations.place_of(uow, customer, from_message)
            article = self.kb.get(article_id, customer.locale)
            if article is None or not article.is_public:
                return None
            conversation, _ = self.conversations.find_or_start(
                uow, customer, channel, thread_ts, at
            )
            language = customer.locale or self.default_locale
            text = answer_text(article.answer, article.locale, language)
            reply = self.conversations.reply(uow, conversation, Decision.ANSWER, text, language,
                                             article=article, at=at)  # fmt: skip
            uow.commit()
            return reply

    # -- feedback and "talk to a person" -------------------------------------------------

    def record_feedback(
        self, who: CustomerRef, helpful: bool, *, at: datetime, message_id: int | None = None
    ) -> Reply | None:
        """Store whether an answer helped (the last one by default); None if there is none."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(who.team_id, who.user_id)
            if customer is None:
                return None
            message = self.conversations.rated_message(uow, customer, message_id)
            if message is None or message.id is None:
                return None
            conversation = uow.repo.conversation(message.conversation_id)
            assert conversation is not None and conversation.id is not None
            existing = uow.repo.feedback_for([message.id]).get(message.id)
            if existing is None:
                uow.repo.add_feedback(Feedback(message_id=message.id, helpful=helpful, at=at,
                                               stage=conversation.stage))  # fmt: skip
            else:
                existing.helpful, existing.at = helpful, at
            customer.last_seen = at
            language = customer.locale or self.default_locale
            escalation = None
            if helpful:
                if conversation.status == ConversationStatus.OPEN:
                    conversation.status = ConversationStatus.RESOLVED
                    conversation.resolution = Resolution.SELF_SERVICE
                    conversation.resolved_at = at
                text, decision = say(Phrase.HELPFUL, language), Decision.HELPFUL
            else:
                assessment = self.escalator.assess(uow, conversation, at)
                escalation, _ = self.escalator.act_on(uow, conversation, assessment, at)
                text, decision = say(Phrase.NOT_HELPFUL, language), Decision.NOT_HELPFUL
                if escalation is not None:
                    text = say(Phrase.HANDOVER, language)
            self.conversations.touch(conversation, at)
            reply = Reply(
                conversation.id, decision, text, language, conversation.stage,
                escalation=escalation, channel=conversation.channel,
                thread_ts=conversation.thread_ts, rated_message_id=message.id,
            )  # fmt: skip
            uow.commit()
            return reply

    def talk_to_human(
        self,
        who: CustomerRef,
        *,
        at: datetime,
        channel: str,
        thread_ts: str = "",
        from_message: int | None = None,
    ) -> Reply:
        """The customer asked for a person: escalate whatever the stage.

        `from_message` is the stored reply whose button was pressed: when given, the
        conversation is that reply's (or NotFoundError if it is not theirs), not `channel`'s."""
        steps = self.conversations
        with self.store.unit_of_work() as uow:
            customer, new_customer = steps.customer(uow, who, at, None)
            if from_message is not None:
                channel, thread_ts = steps.place_of(uow, customer, from_message)
            conversation, _ = steps.find_or_start(uow, customer, channel, thread_ts, at,
                                                  new_customer=new_customer)  # fmt: skip
            language = customer.locale or self.default_locale
            steps.add_message(uow, conversation, Role.CUSTOMER, "(asked to talk to a person)", at,
                              decision=Decision.HUMAN, language=language)  # fmt: skip
            assessment = self.escalator.assess(uow, conversation, at)
            escalation, _ = self.escalator.act_on(uow, conversation, assessment, at)
            reply = steps.reply(uow, conversation, Decision.HANDOVER,
                                say(Phrase.HANDOVER, language), language, escalation=escalation,
                                at=at)  # fmt: skip
            uow.commit()
            return reply

    def escalate_by_hand(
        self,
        by: Actor,
        *,
        at: datetime,
        channel: str,
        thread_ts: str,
        customer: CustomerRef | None = None,
        slack_ts: str = "",
        text: str = "",
        reason: str,
    ) -> Reply:
        """Someone used *Escalate to support* on a message: a person is called into the
        conversation of that thread. `customer` is the message's author when a customer
        wrote it (None when staff or the app did: the thread's conversation is meant). Staff
        may escalate any customer's message; a customer only their own."""
        if not by.is_staff and (customer is None or customer.user_id != by.user_id):
            raise NotAllowedError("Only support agents, or the customer who wrote it, can "
                                  "escalate a message.")  # fmt: skip
        steps = self.conversations
        with self.store.unit_of_work() as uow:
            if customer is None:
                conversation = uow.repo.conversation_in_thread(channel, thread_ts)
                if conversation is None:
                    raise NotFoundError("There is no customer conversation in this thread.")
                found = uow.repo.customer_by_id(conversation.customer_id)
                assert found is not None
                person = found
            else:
                person, new_customer = steps.customer(uow, customer, at, None)
                conversation, _ = steps.find_or_start(uow, person, channel, thread_ts, at,
                                                      new_customer=new_customer)  # fmt: skip
                if text and uow.repo.customer_message_by_ts(channel, slack_ts) is None:
                    # The flagged message is what the agent must read first.
                    steps.add_message(uow, conversation, Role.CUSTOMER, clean_incoming(text), at,
                                      slack_ts=slack_ts or None)  # fmt: skip
            assert conversation.id is not None
            language = person.locale or self.default_locale
            existing = uow.repo.open_escalation(conversation.id)
            if existing is not None:
                raise NotAllowedError(f"A person is already called in: escalation "
                                      f"#{existing.id}.")  # fmt: skip
            escalation, new = uow.repo.add_escalation(Escalation(
                conversation_id=conversation.id, stage=conversation.stage, signals=[],
                reasons=[reason], score=0.0, status=EscalationStatus.OPEN, created_at=at,
            ))  # fmt: skip
            if not new:  # another worker escalated it a moment ago
                raise NotAllowedError(f"A person is already called in: escalation "
                                      f"#{escalation.id}.")  # fmt: skip
            conversation.status = ConversationStatus.ESCALATED
            info = info_of(escalation, new=True)
            reply = steps.reply(uow, conversation, Decision.HANDOVER,
                                say(Phrase.HANDOVER, language), language, escalation=info,
                                at=at)  # fmt: skip
            uow.commit()
            return reply

    # -- timers and stages set by hand -------------------------------------------------

    def run_timers(self, now: datetime, batch: int = 500) -> list[TimerEvent]:
        """Escalate buyers left waiting without a useful answer; close long-silent
        conversations as abandoned. Reads only the conversations whose timer is due, so a
        pass costs what is due, not what is open; safe to call as often as wanted."""
        events: list[TimerEvent] = []
        seen: set[int | None] = set()
        while True:
            with self.store.unit_of_work() as uow:
                due = uow.repo.due_conversations(now, batch)
                fresh = [c for c in due if c.id not in seen]
                for conversation in fresh:
                    event = self._timer_due(uow, conversation, now)
                    if event is not None:
                        events.append(event)
                uow.commit()
            seen.update(c.id for c in fresh)
            # Each acted-on row gets a due time after `now`; stopping on a batch with nothing
            # new guards the timer thread against looping should one ever not.
            if len(due) < batch or not fresh:
                return events

    def _timer_due(
        self, uow: UnitOfWork, conversation: Conversation, now: datetime
    ) -> TimerEvent | None:
        if now - conversation.last_activity_at >= CONVERSATION_IDLE:
            conversation.status = ConversationStatus.RESOLVED
            conversation.resolution = Resolution.ABANDONED
            conversation.resolved_at = conversation.last_activity_at
            conversation.due_at = None
            return None
        assessment = self.escalator.assess(uow, conversation, now)
        escalation, _ = self.escalator.act_on(uow, conversation, assessment, now)
        # Not stuck now is not stuck later unless something happens, which moves the due time.
        self.conversations.schedule(conversation, now)
        if escalation is None or not escalation.new:
            return None
        assert conversation.id is not None
        customer = uow.repo.customer_by_id(conversation.customer_id)
        language = (customer.locale if customer else None) or self.default_locale
        text = say(Phrase.HANDOVER, language)
        self.conversations.reply(uow, conversation, Decision.HANDOVER, text, language, at=now)
        return TimerEvent(conversation.id, conversation.channel, conversation.thread_ts,
                          escalation, text)  # fmt: skip

    def set_stage(self, who: CustomerRef, stage: str, *, actor: Actor, at: datetime) -> str:
        """A team lead sets a customer's stage by hand; returns the previous stage."""
        require_lead(actor)
        if stage not in self.model:
            raise UnknownStageError(stage, self.model.ids)
        with self.store.unit_of_work() as uow:
            customer, _ = uow.repo.get_or_create_customer(
                who.team_id, who.user_id, self.model.default_stage, at
            )
            assert customer.id is not None
            conversation = uow.repo.latest_conversation(customer.id)
            if conversation is not None and conversation.status != ConversationStatus.RESOLVED:
                conversation.stage = stage
            previous = self.stages.set_by_hand(uow, customer, conversation, stage,
                                               actor.user_id, at)  # fmt: skip
            uow.commit()
            return previous
