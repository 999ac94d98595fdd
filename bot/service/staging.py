"""Tagging a conversation's lifecycle stage, from messages or by hand, with the reason kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.service.ports import UnitOfWork
from bot.service.records import Conversation, Customer, StageChange
from bot.service.vocabulary import StageSource
from knowledge_base import Article
from lifecycle import StageModel, StageTagger, StuckDetector
from lifecycle.rules import PAYMENT_FAILURE
from lifecycle.tagging import StageDecision, StageEvidence

SIGNAL = "signal"  # stage evidence that comes from a stuck signal or buying words
SIGNAL_WEIGHT = 0.7
BUYING_WEIGHT = 0.8  # "cart", "checkout": someone who has not bought yet is buying now
# What the customer's earlier messages in the conversation said of the stage still counts, at
# this share: a known buyer who writes three times about the puddle under the machine is a
# support case, though no single message says so clearly.
EARLIER_WEIGHT = 0.5
EARLIER_MESSAGES = 3


class StageKeeper:
    """Moves customers and their conversations between stages, recording each move."""

    def __init__(self, model: StageModel, tagger: StageTagger, detector: StuckDetector) -> None:
        self.model = model
        self.tagger = tagger
        self.detector = detector

    def retag(
        self,
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation,
        text: str,
        article: Article | None,
        at: datetime,
        earlier: Sequence[str] = (),
    ) -> StageDecision:
        """Tag the stage from the message, the article it matched and its stuck signals, and
        from what the `earlier` messages of the conversation said, at a discount."""
        established = customer.stage_source != StageSource.DEFAULT
        current = conversation.stage if established else None
        evidence = self.tagger.evidence(
            text,
            article.stages if article else (),
            article.id if article else "",
            current=current,
        )
        for said in earlier[-EARLIER_MESSAGES:]:
            evidence += [
                replace(e, confidence=round(e.confidence * EARLIER_WEIGHT, 4))
                for e in self.tagger.evidence(said, current=current)
            ]
        if any(s.id == PAYMENT_FAILURE for s in self.detector.text_signals(text)):
            # A failing payment is a buyer's problem, whatever words it came in.
            evidence.append(
                StageEvidence(self.model.purchase_stage, SIGNAL_WEIGHT, SIGNAL, "payment problem")
            )
        buying = self.detector.buying_words(text)
        model = self.model
        before = model.position(conversation.stage) < model.position(model.purchase_stage)
        if buying and before:
            # Someone who has not bought yet and talks of the cart or checkout is buying now
            # (in the purchase stage, "my order" is as often the one that is late).
            evidence.append(self._buying(buying))
        decision = self.tagger.decide(conversation.stage, evidence, established=established)
        if decision.changed:
            self.move(uow, customer, conversation, decision.stage, decision.reason, at)
        return decision

    def closed(
        self, uow: UnitOfWork, customer: Customer, conversation: Conversation, text: str,
        at: datetime,
    ) -> StageDecision:
        """A closing moves nobody, unless it is the decision of a customer who had not bought
        yet ("perfect, ordering now", "dann nehm ich sie") or says the order is done ("order's
        placed, thanks", "Bestellung ist raus"): they are buying now."""
        model = self.model
        said = self.detector.decided(text) or self.detector.buying_words(text)
        before = model.position(conversation.stage) < model.position(model.purchase_stage)
        if not said or not before:
            return StageDecision(conversation.stage, False)
        evidence = [self._buying(said)]
        established = customer.stage_source != StageSource.DEFAULT
        decision = self.tagger.decide(conversation.stage, evidence, established=established)
        if decision.changed:
            self.move(uow, customer, conversation, decision.stage, decision.reason, at)
        return decision

    def _buying(self, said: str) -> StageEvidence:
        return StageEvidence(self.model.purchase_stage, BUYING_WEIGHT, SIGNAL, f'said "{said}"')

    @staticmethod
    def move(
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation,
        stage: str,
        reason: str,
        at: datetime,
    ) -> None:
        """Move the conversation and its customer to `stage`, as the tagger decided."""
        assert customer.id is not None
        uow.repo.add_stage_change(
            StageChange(
                customer_id=customer.id,
                conversation_id=conversation.id,
                from_stage=conversation.stage,
                to_stage=stage,
                reason=reason,
                source=StageSource.AUTO,
                at=at,
            )  # fmt: skip
        )
        conversation.stage = customer.stage = stage
        customer.stage_source = StageSource.AUTO

    @staticmethod
    def set_by_hand(
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation | None,
        stage: str,
        actor: str,
        at: datetime,
    ) -> str:
        """A person sets the stage; returns the one before."""
        assert customer.id is not None
        previous = customer.stage
        customer.stage, customer.stage_source = stage, StageSource.MANUAL
        uow.repo.add_stage_change(
            StageChange(
                customer_id=customer.id,
                conversation_id=conversation.id if conversation else None,
                from_stage=previous,
                to_stage=stage,
                reason=f"set by hand by {actor}",
                source=StageSource.MANUAL,
                actor=actor,
                at=at,
            )  # fmt: skip
        )
        return previous
