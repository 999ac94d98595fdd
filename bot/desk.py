"""The support desk: every use case, Slack-free, each in one unit of work over the store.

The terminal chat, the replay command, the Slack listeners and the tests all drive this service,
so a customer gets the same behaviour whichever way they reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.conversation_steps import (
    CONVERSATION_IDLE,
    HANDOVER,
    RELAYED,
    ConversationSteps,
)
from bot.handoff import Handoff
from bot.outcomes import (
    CustomerRef,
    History,
    Reply,
    TimerEvent,
    UnknownStageError,
)
from bot.phrasebook import say
from bot.redaction import clean_incoming
from bot.reports import Reports
from bot.store.models import (
    ABANDONED,
    CUSTOMER,
    MANUAL,
    OPEN,
    RESOLVED,
    SELF_SERVICE,
    Feedback,
    StageChange,
)
from bot.store.unit_of_work import Store
from bot.transcript import HUMAN_REQUEST, SMALLTALK
from knowledge_base import Article, KbProblem, KnowledgeBase, KnowledgeBaseError, Searcher
from knowledge_base.language import detect_language
from knowledge_base.search import AGENT_AUDIENCE, ANSWER, NONE, SUGGEST, SearchResult
from lifecycle import StageModel, StageTagger, StuckDetector
from lifecycle.scores import contact_weight, engage
from lifecycle.smalltalk import courtesy
from lifecycle.stages import OFFER

log = logging.getLogger(__name__)


class Desk(ConversationSteps):
    """The support desk service."""

    def __init__(
        self,
        store: Store,
        kb: KnowledgeBase,
        model: StageModel,
        detector: StuckDetector,
        default_locale: str = "en",
    ) -> None:
        self.store = store
        self.kb = kb
        self.searcher = Searcher(kb)
        self.model = model
        self.tagger = StageTagger(model)
        self.detector = detector
        self.default_locale = default_locale
        self.reports = Reports(store, model)
        self.handoff = Handoff(store, lambda: self.kb, model)

    def reload_knowledge_base(self, load: Callable[[], KnowledgeBase]) -> list[KbProblem]:
        """Swap in a freshly loaded knowledge base; on problems keep the last good one."""
        try:
            kb = load()
        except KnowledgeBaseError as exc:
            log.warning("knowledge base reload refused, keeping the last good one: %s", exc)
            return exc.problems
        searcher = Searcher(kb)  # built before the swap, so requests never see half an index
        self.kb, self.searcher = kb, searcher
        return []

    def agent_search(self, query: str, limit: int = 3) -> SearchResult:
        """What agents see: the same articles customers get, plus internal ones and notes."""
        return self.searcher.search(query, audience=AGENT_AUDIENCE, limit=limit)

    # -- customers -----------------------------------------------------------------------

    def history(self, who: CustomerRef) -> History | None:
        """A returning customer's stage and history, or None for someone new."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(who.team_id, who.user_id)
            if customer is None:
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
        with self.store.unit_of_work() as uow:
            if slack_ts:
                earlier = self._earlier_reply(uow, channel, slack_ts)
                if earlier is not None:
                    return earlier  # processed before a crash or a redelivery: same answer
            customer = self._customer(uow, who, at, locale)
            conversation = self._conversation(
                uow, customer, channel, thread_ts, at, reuse_resolved=courtesy(text) is not None
            )
            if conversation.status not in (OPEN, RESOLVED):
                # A person is on it: keep the message for them, don't answer over their head.
                self._add_message(uow, conversation, CUSTOMER, text, at, slack_ts=slack_ts)
                language = customer.locale or self.default_locale
                reply = self._reply(uow, conversation, RELAYED, say(RELAYED, language), language)
                uow.commit()
                return reply

            kind = courtesy(text)
            if kind is not None:
                # "thanks!" is not a question: answer politely, count nothing against anyone.
                language = detect_language(text) or customer.locale or self.default_locale
                self._add_message(uow, conversation, CUSTOMER, text, at, language=language,
                                  decision=SMALLTALK, slack_ts=slack_ts)  # fmt: skip
                reply = self._reply(uow, conversation, SMALLTALK, say(kind, language), language,
                                    at=at)  # fmt: skip
                uow.commit()
                return reply

            result = self.searcher.search(text, language=customer.locale or locale)
            language = result.language
            customer.locale = language
            best = result.best
            article = best.article if best and result.decision == ANSWER else None
            self._add_message(
                uow,
                conversation,
                CUSTOMER,
                text,
                at,
                language=language,
                decision=result.decision,
                article_id=article.id if article else None,
                score=best.score if best else None,
                slack_ts=slack_ts,
            )
            weight = contact_weight(conversation.stage, self.model)
            customer.lead_score = engage(customer.lead_score, customer.lead_scored_at, at, weight)
            customer.lead_scored_at = at
            stage = self._update_stage(uow, customer, conversation, text, article, at)

            suggestions: tuple[Article, ...] = ()
            if result.decision == ANSWER and article is not None:
                decision, reply_text = ANSWER, article.answer
            elif result.decision == SUGGEST:
                decision, reply_text = SUGGEST, say(SUGGEST, language)
                suggestions = tuple(hit.article for hit in result.related)
            else:
                decision, reply_text = NONE, say(NONE, language)

            assessment = self._assess(uow, conversation, at)
            escalation, offer = self._act_on(uow, conversation, assessment, at)
            if escalation is not None:
                reply_text = (
                    say(HANDOVER, language)
                    if decision == NONE
                    else f"{reply_text}\n\n{say(HANDOVER, language)}"
                )
            elif offer:
                reply_text = f"{reply_text}\n\n{say(OFFER, language)}"
            reply = self._reply(
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
        self, who: CustomerRef, article_id: str, *, at: datetime, channel: str, thread_ts: str = ""
    ) -> Reply | None:
        """The customer picked one of the suggested articles: show it, ready to be rated."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(who.team_id, who.user_id)
            if customer is None:
                return None
            article = self.kb.get(article_id, customer.locale)
            if article is None or not article.is_public:
                return None
            conversation = self._conversation(uow, customer, channel, thread_ts, at)
            language = customer.locale or self.default_locale
            reply = self._reply(uow, conversation, ANSWER, article.answer, language,
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
            message = self._rated_message(uow, customer, message_id)
            if message is None:
                return None
            conversation = message.conversation
            existing = uow.repo.feedback_for([message.id]).get(message.id)
            if existing is None:
                uow.session.add(Feedback(message_id=message.id, helpful=helpful, at=at,
                                         stage=conversation.stage))  # fmt: skip
            else:
                existing.helpful, existing.at = helpful, at
            customer.last_seen = at
            language = customer.locale or self.default_locale
            escalation = None
            if helpful:
                if conversation.status == OPEN:
                    conversation.status = RESOLVED
                    conversation.resolution = SELF_SERVICE
                    conversation.resolved_at = at
                text, decision = say("helpful", language), "helpful"
            else:
                uow.flush()
                assessment = self._assess(uow, conversation, at)
                escalation, _ = self._act_on(uow, conversation, assessment, at)
                text, decision = say("not_helpful", language), "not_helpful"
                if escalation is not None:
                    text = say(HANDOVER, language)
            conversation.last_activity_at = at
            reply = Reply(
                conversation.id, decision, text, language, conversation.stage, escalation=escalation
            )
            uow.commit()
            return reply

    def talk_to_human(
        self, who: CustomerRef, *, at: datetime, channel: str, thread_ts: str = ""
    ) -> Reply:
        """The customer asked for a person: escalate whatever the stage."""
        with self.store.unit_of_work() as uow:
            customer = self._customer(uow, who, at, None)
            conversation = self._conversation(uow, customer, channel, thread_ts, at)
            language = customer.locale or self.default_locale
            self._add_message(
                uow, conversation, CUSTOMER, "(asked to talk to a person)", at,
                decision=HUMAN_REQUEST, language=language,
            )  # fmt: skip
            assessment = self._assess(uow, conversation, at)
            escalation, _ = self._act_on(uow, conversation, assessment, at)
            reply = self._reply(
                uow, conversation, HANDOVER, say(HANDOVER, language), language,
                escalation=escalation, at=at,
            )  # fmt: skip
            uow.commit()
            return reply

    # -- timers and stages set by hand -------------------------------------------------

    def run_timers(self, now: datetime) -> list[TimerEvent]:
        """Escalate buyers left waiting without a useful answer; close long-silent
        conversations as abandoned. Safe to call as often as wanted."""
        quiet_since = now - timedelta(minutes=self.detector.rules.idle_minutes)
        events: list[TimerEvent] = []
        with self.store.unit_of_work() as uow:
            for conversation in uow.repo.stale_open_conversations(now - CONVERSATION_IDLE):
                conversation.status, conversation.resolution = RESOLVED, ABANDONED
                conversation.resolved_at = conversation.last_activity_at
            for conversation in uow.repo.quiet_open_conversations(
                now - CONVERSATION_IDLE, quiet_since
            ):
                assessment = self._assess(uow, conversation, now)
                escalation, _ = self._act_on(uow, conversation, assessment, now)
                if escalation is not None and escalation.new:
                    language = conversation.customer.locale or self.default_locale
                    self._reply(uow, conversation, HANDOVER, say(HANDOVER, language), language,
                                at=now)  # fmt: skip
                    events.append(
                        TimerEvent(
                            conversation.id,
                            conversation.channel,
                            conversation.thread_ts,
                            escalation,
                            say(HANDOVER, language),
                        )
                    )
            uow.commit()
        return events

    def set_stage(self, who: CustomerRef, stage: str, *, actor: str, at: datetime) -> str:
        """An agent or lead sets a customer's stage by hand; returns the previous stage."""
        if stage not in self.model:
            raise UnknownStageError(stage, self.model.ids)
        with self.store.unit_of_work() as uow:
            customer, _ = uow.repo.get_or_create_customer(
                who.team_id, who.user_id, self.model.default_stage, at
            )
            previous = customer.stage
            customer.stage, customer.stage_source = stage, MANUAL
            conversation = uow.repo.latest_conversation(customer.id)
            if conversation is not None and conversation.status != RESOLVED:
                conversation.stage = stage
            uow.session.add(
                StageChange(
                    customer_id=customer.id,
                    conversation_id=conversation.id if conversation else None,
                    from_stage=previous,
                    to_stage=stage,
                    reason=f"set by hand by {actor}",
                    source=MANUAL,
                    actor=actor,
                    at=at,
                )
            )
            uow.commit()
            return previous
