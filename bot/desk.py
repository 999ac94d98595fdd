"""The support desk: every use case, Slack-free, each in one unit of work over the store.

The terminal chat, the replay command, the Slack listeners and the tests all drive this service,
so a customer gets the same behaviour whichever way they reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.handoff import Handoff
from bot.outcomes import (
    CustomerRef,
    EscalationInfo,
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
    AUTO,
    BOT,
    CUSTOMER,
    DEFAULT,
    ESCALATED,
    MANUAL,
    OPEN,
    RESOLVED,
    SELF_SERVICE,
    Conversation,
    Customer,
    Escalation,
    Feedback,
    Message,
    StageChange,
)
from bot.store.unit_of_work import Store, UnitOfWork
from bot.transcript import HUMAN_REQUEST, SMALLTALK, turns_of
from knowledge_base import Article, KbProblem, KnowledgeBase, KnowledgeBaseError, Searcher
from knowledge_base.language import detect_language
from knowledge_base.search import AGENT_AUDIENCE, ANSWER, NONE, SUGGEST, SearchResult
from lifecycle import StageModel, StageTagger, StuckDetector, Turn
from lifecycle.rules import PAYMENT_FAILURE
from lifecycle.scores import contact_weight, engage, usual_gap
from lifecycle.smalltalk import courtesy
from lifecycle.stages import ESCALATE, OFFER
from lifecycle.stuck import Assessment
from lifecycle.tagging import StageDecision, StageEvidence

log = logging.getLogger(__name__)

HANDOVER = "handover"  # reply decision: a person takes over
RELAYED = "relayed"  # reply decision: passed to the agent already on it
# A conversation silent this long is over; the next message starts a new one.
CONVERSATION_IDLE = timedelta(hours=24)
COURTESY_WINDOW = timedelta(hours=1)
SIGNAL = "signal"  # stage evidence that comes from a stuck signal
SIGNAL_WEIGHT = 0.7


class Desk:
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
                suggestions = tuple(hit.article for hit in result.hits)
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

    # -- helpers -------------------------------------------------------------------------

    def _customer(
        self, uow: UnitOfWork, who: CustomerRef, at: datetime, locale: str | None
    ) -> Customer:
        customer, _ = uow.repo.get_or_create_customer(
            who.team_id, who.user_id, self.model.default_stage, at, locale
        )
        if customer.stage not in self.model:
            # The stage model changed since this customer was seen: start them afresh.
            customer.stage, customer.stage_source = self.model.default_stage, DEFAULT
        customer.last_seen = max(customer.last_seen, at)
        if locale and not customer.locale:
            customer.locale = locale
        return customer

    def _conversation(
        self,
        uow: UnitOfWork,
        customer: Customer,
        channel: str,
        thread_ts: str,
        at: datetime,
        reuse_resolved: bool = False,
    ) -> Conversation:
        conversation = uow.repo.active_conversation(customer.id, channel, thread_ts)
        if conversation is None and reuse_resolved:
            # A "thanks" right after a resolved question belongs to it, not to a new one.
            latest = uow.repo.latest_conversation(customer.id)
            if (
                latest is not None
                and (latest.channel, latest.thread_ts) == (channel, thread_ts)
                and at - latest.last_activity_at <= COURTESY_WINDOW
            ):
                latest.last_activity_at = max(latest.last_activity_at, at)
                return latest
        if (
            conversation is not None
            and conversation.status == OPEN
            and at - conversation.last_activity_at > CONVERSATION_IDLE
        ):
            conversation.status, conversation.resolution = RESOLVED, ABANDONED
            conversation.resolved_at = conversation.last_activity_at
            conversation = None
        if conversation is None:
            customer.usual_gap_days = usual_gap(
                customer.usual_gap_days, customer.last_conversation_at, at
            )
            customer.last_conversation_at = at
            conversation = Conversation(
                customer=customer,
                channel=channel,
                thread_ts=thread_ts,
                stage=customer.stage,
                status=OPEN,
                opened_at=at,
                last_activity_at=at,
            )
            uow.session.add(conversation)
            uow.flush()
        conversation.last_activity_at = max(conversation.last_activity_at, at)
        return conversation

    def _add_message(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        role: str,
        text: str,
        at: datetime,
        **fields: object,
    ) -> Message:
        message = Message(conversation=conversation, role=role, text=text, created_at=at, **fields)
        uow.session.add(message)
        uow.flush()
        return message

    def _update_stage(
        self,
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation,
        text: str,
        article: Article | None,
        at: datetime,
    ) -> StageDecision:
        """Tag the stage from the message, the article it matched and its stuck signals."""
        evidence = self.tagger.evidence(
            text, article.stages if article else (), article.id if article else ""
        )
        if any(s.id == PAYMENT_FAILURE for s in self.detector.text_signals(text)):
            # A failing payment is a buyer's problem, whatever words it came in.
            evidence.append(
                StageEvidence(self.model.purchase_stage, SIGNAL_WEIGHT, SIGNAL, "payment problem")
            )
        decision = self.tagger.decide(
            conversation.stage, evidence, established=customer.stage_source != DEFAULT
        )
        if decision.changed:
            self._move_stage(uow, customer, conversation, decision.stage, decision.reason, at)
        return decision

    def _move_stage(
        self,
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation,
        stage: str,
        reason: str,
        at: datetime,
    ) -> None:
        uow.session.add(
            StageChange(
                customer_id=customer.id,
                conversation_id=conversation.id,
                from_stage=conversation.stage,
                to_stage=stage,
                reason=reason,
                source=AUTO,
                at=at,
            )
        )
        conversation.stage = customer.stage = stage
        customer.stage_source = AUTO

    def _assess(self, uow: UnitOfWork, conversation: Conversation, now: datetime) -> Assessment:
        """The stuck assessment of a conversation, judged by every stage it has been in."""
        earlier = uow.repo.conversation_stages(conversation.id)
        return self.detector.assess(
            self._turns(uow, conversation), conversation.stage, now, earlier
        )

    def _turns(self, uow: UnitOfWork, conversation: Conversation) -> list[Turn]:
        """The conversation as the stuck detector sees it."""
        messages = uow.repo.messages(conversation.id)
        feedback = uow.repo.feedback_for([m.id for m in messages if m.role == BOT])
        return turns_of(messages, feedback, self.kb)

    def _act_on(
        self, uow: UnitOfWork, conversation: Conversation, assessment: Assessment, at: datetime
    ) -> tuple[EscalationInfo | None, bool]:
        """Raise an escalation or offer a person, as the assessment says; at most one open."""
        if assessment.action == OFFER:
            return None, True
        if assessment.action != ESCALATE:
            return None, False
        existing = uow.repo.open_escalation(conversation.id)
        if existing is not None:
            return _info(existing, new=False), False
        escalation = Escalation(
            conversation_id=conversation.id,
            stage=conversation.stage,
            signals=assessment.signal_ids,
            reasons=list(assessment.reasons),
            score=assessment.score,
            status=OPEN,
            created_at=at,
        )
        # Another worker may have escalated this conversation a moment ago: one open
        # escalation per conversation is a unique index, and theirs stands.
        escalation, ours = uow.repo.add_unless_taken(
            escalation, lambda: uow.repo.open_escalation(conversation.id)
        )
        if not ours:
            return _info(escalation, new=False), False
        conversation.status = ESCALATED
        uow.flush()
        return _info(escalation, new=True), False

    def _earlier_reply(self, uow: UnitOfWork, channel: str, slack_ts: str) -> Reply | None:
        """The reply already given to the message Slack sent as (channel, ts), rebuilt."""
        found = uow.repo.customer_message_by_ts(channel, slack_ts)
        if found is None:
            return None
        asked, conversation = found
        reply = uow.repo.reply_to(asked)
        if reply is None:
            return None  # stored the question but died before the answer: cannot happen in
            # one transaction, kept as a guard
        article = self.kb.get(reply.article_id, reply.language) if reply.article_id else None
        suggestions: tuple[Article, ...] = ()
        if reply.decision == SUGGEST:
            found_again = self.searcher.search(asked.text, language=asked.language)
            suggestions = tuple(hit.article for hit in found_again.hits)
        escalation = uow.repo.open_escalation(conversation.id)
        info = None
        if escalation is not None and escalation.created_at >= asked.created_at:
            info = _info(escalation, new=escalation.agent_thread_ts is None)
        return Reply(
            conversation_id=conversation.id,
            decision=reply.decision or NONE,
            text=reply.text,
            language=reply.language or self.default_locale,
            stage=conversation.stage,
            message_id=reply.id,
            article=article,
            suggestions=suggestions,
            escalation=info,
        )

    def _rated_message(
        self, uow: UnitOfWork, customer: Customer, message_id: int | None
    ) -> Message | None:
        if message_id is not None:
            message = uow.session.get(Message, message_id)
            if message is None or message.conversation.customer_id != customer.id:
                return None
            return message
        conversation = uow.repo.latest_conversation(customer.id)
        return uow.repo.last_bot_answer(conversation.id) if conversation else None

    def _reply(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        decision: str,
        text: str,
        language: str,
        *,
        article: Article | None = None,
        suggestions: Sequence[Article] = (),
        score: float | None = None,
        at: datetime | None = None,
        **extra: object,
    ) -> Reply:
        stored = self._add_message(
            uow,
            conversation,
            BOT,
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
            **extra,  # type: ignore[arg-type]
        )


def _info(escalation: Escalation, new: bool) -> EscalationInfo:
    return EscalationInfo(
        id=escalation.id,
        stage=escalation.stage,
        score=escalation.score,
        signals=tuple(escalation.signals),
        reasons=tuple(escalation.reasons),
        new=new,
    )
