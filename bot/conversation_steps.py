"""The steps every desk use case is made of, inside one unit of work: find the customer and
their conversation, store messages, tag the stage, assess and escalate, build the reply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.outcomes import (
    CustomerRef,
    EscalationInfo,
    Reply,
)
from bot.store.models import (
    ABANDONED,
    AUTO,
    BOT,
    DEFAULT,
    ESCALATED,
    OPEN,
    RESOLVED,
    Conversation,
    Customer,
    Escalation,
    Message,
    StageChange,
)
from bot.store.unit_of_work import Store, UnitOfWork
from bot.transcript import turns_of
from knowledge_base import Article, KnowledgeBase, Searcher
from knowledge_base.search import NONE, SUGGEST
from lifecycle import StageModel, StageTagger, StuckDetector, Turn
from lifecycle.rules import PAYMENT_FAILURE
from lifecycle.scores import usual_gap
from lifecycle.stages import ESCALATE, OFFER
from lifecycle.stuck import Assessment
from lifecycle.tagging import StageDecision, StageEvidence

HANDOVER = "handover"  # reply decision: a person takes over
RELAYED = "relayed"  # reply decision: passed to the agent already on it
# A conversation silent this long is over; the next message starts a new one.
CONVERSATION_IDLE = timedelta(hours=24)
COURTESY_WINDOW = timedelta(hours=1)
SIGNAL = "signal"  # stage evidence that comes from a stuck signal
SIGNAL_WEIGHT = 0.7


class ConversationSteps:
    """Shared mechanics of the desk's use cases (see bot/desk.py for the use cases)."""

    store: Store
    kb: KnowledgeBase
    searcher: Searcher
    model: StageModel
    tagger: StageTagger
    detector: StuckDetector
    default_locale: str

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
            return info_of(existing, new=False), False
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
            return info_of(escalation, new=False), False
        conversation.status = ESCALATED
        uow.flush()
        return info_of(escalation, new=True), False

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
            suggestions = tuple(hit.article for hit in found_again.related)
        escalation = uow.repo.open_escalation(conversation.id)
        info = None
        if escalation is not None and escalation.created_at >= asked.created_at:
            info = info_of(escalation, new=escalation.agent_thread_ts is None)
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


def info_of(escalation: Escalation, new: bool) -> EscalationInfo:
    """What a use case reports about an escalation."""
    return EscalationInfo(
        id=escalation.id,
        stage=escalation.stage,
        score=escalation.score,
        signals=tuple(escalation.signals),
        reasons=tuple(escalation.reasons),
        new=new,
    )
