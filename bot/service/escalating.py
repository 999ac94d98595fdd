"""Judging whether a conversation's customer is stuck, and calling a person when they are."""

from __future__ import annotations

from datetime import datetime

from bot.service.knowledge import KnowledgeHolder
from bot.service.outcomes import EscalationInfo
from bot.service.ports import UnitOfWork
from bot.service.records import Conversation, Escalation
from bot.service.transcript import turns_of
from bot.service.vocabulary import ConversationStatus, EscalationStatus, Role
from lifecycle import StuckDetector, Turn
from lifecycle.stages import ESCALATE, OFFER
from lifecycle.stuck import Assessment


def info_of(escalation: Escalation, new: bool) -> EscalationInfo:
    """What a use case reports about an escalation."""
    assert escalation.id is not None
    return EscalationInfo(
        id=escalation.id,
        stage=escalation.stage,
        score=escalation.score,
        signals=tuple(escalation.signals),
        reasons=tuple(escalation.reasons),
        new=new,
    )


class Escalator:
    """Assesses conversations with the stuck detector and raises escalations, one at a time."""

    def __init__(self, detector: StuckDetector, knowledge: KnowledgeHolder) -> None:
        self.detector = detector
        self.knowledge = knowledge

    def assess(self, uow: UnitOfWork, conversation: Conversation, now: datetime) -> Assessment:
        """The stuck assessment of a conversation, judged by every stage it has been in."""
        assert conversation.id is not None
        earlier = uow.repo.conversation_stages(conversation.id)
        return self.detector.assess(self.turns(uow, conversation), conversation.stage, now,
                                    earlier)  # fmt: skip

    def turns(self, uow: UnitOfWork, conversation: Conversation) -> list[Turn]:
        """The conversation as the stuck detector sees it."""
        assert conversation.id is not None
        messages = uow.repo.messages(conversation.id)
        feedback = uow.repo.feedback_for(m.id for m in messages if m.role == Role.BOT and m.id)
        return turns_of(messages, feedback, self.knowledge.kb)

    def act_on(
        self, uow: UnitOfWork, conversation: Conversation, assessment: Assessment, at: datetime
    ) -> tuple[EscalationInfo | None, bool]:
        """Raise an escalation or offer a person, as the assessment says; at most one open."""
        if assessment.action == OFFER:
            return None, True
        if assessment.action != ESCALATE:
            return None, False
        assert conversation.id is not None
        existing = uow.repo.open_escalation(conversation.id)
        if existing is not None:
            return info_of(existing, new=False), False
        escalation, ours = uow.repo.add_escalation(
            Escalation(
                conversation_id=conversation.id,
                stage=conversation.stage,
                signals=list(assessment.signal_ids),
                reasons=list(assessment.reasons),
                score=assessment.score,
                status=EscalationStatus.OPEN,
                created_at=at,
            )
        )
        if not ours:
            return info_of(escalation, new=False), False
        conversation.status = ConversationStatus.ESCALATED
        return info_of(escalation, new=True), False
