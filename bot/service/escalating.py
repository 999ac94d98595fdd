"""Judging whether a conversation's customer is stuck, and calling a person when they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.service.knowledge import KnowledgeHolder
from bot.service.outcomes import EscalationInfo
from bot.service.ports import UnitOfWork
from bot.service.records import Conversation, Escalation, Feedback, Message
from bot.service.transcript import turns_of
from bot.service.vocabulary import ConversationStatus, EscalationStatus
from lifecycle import StuckDetector
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


@dataclass
class SoFar:
    """What a conversation holds, read once by a use case and kept up to date by it, so
    judging the conversation needs no further reads."""

    messages: list[Message]
    feedback: dict[int, Feedback]
    earlier_stages: list[str]


class Escalator:
    """Assesses conversations with the stuck detector and raises escalations, one at a time."""

    def __init__(self, detector: StuckDetector, knowledge: KnowledgeHolder) -> None:
        self.detector = detector
        self.knowledge = knowledge

    @staticmethod
    def so_far(uow: UnitOfWork, conversation: Conversation) -> SoFar:
        """Read what the conversation holds (two reads)."""
        assert conversation.id is not None
        messages, feedback = uow.repo.messages_with_feedback(conversation.id)
        return SoFar(messages, feedback, uow.repo.conversation_stages(conversation.id))

    def assess(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        now: datetime,
        so_far: SoFar | None = None,
    ) -> Assessment:
        """The stuck assessment of a conversation, judged by every stage it has been in;
        from `so_far` when the caller has it, else read from the store."""
        seen = so_far or self.so_far(uow, conversation)
        turns = turns_of(seen.messages, seen.feedback, self.knowledge.kb)
        return self.detector.assess(turns, conversation.stage, now, seen.earlier_stages)

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
