"""Stage tagging: evidence from a message and its matched article, and rules for moving stage.

The rules are meant to be reasoned about by a person:
- the customer's known stage is the prior: only strong evidence (or any evidence for a customer
  we know nothing about yet) moves it, and the new stage must clearly beat the current one;
- a customer who has bought is never sent back before the purchase stage by a question;
- buying again (strong purchase evidence) moves a loyal customer back into purchase.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from lifecycle.phrases import PhraseMatcher
from lifecycle.stages import StageModel

TEXT = "text"
ARTICLE = "article"

STRONG = 0.75  # moves an established stage
FIRST_MOVE = 0.4  # enough for a customer still at the model's default stage
MARGIN = 0.2  # how much the new stage must beat the current one by
ARTICLE_WEIGHT = 0.5  # an answered article's first stage; later stages get half


@dataclass(frozen=True)
class StageEvidence:
    """One piece of evidence for a stage, in [0, 1], with where it came from."""

    stage: str
    confidence: float
    source: str  # TEXT or ARTICLE
    detail: str  # the phrase, or the article id


@dataclass(frozen=True)
class StageDecision:
    """The stage after a message, and why it changed (reason is empty when it did not)."""

    stage: str
    changed: bool
    reason: str = ""
    confidence: float = 0.0


def _phrase_weight(words: int) -> float:
    return {1: 0.45, 2: 0.7}.get(words, 0.85)


class StageTagger:
    """Turns messages into stage evidence and evidence into stage decisions, for one model."""

    def __init__(self, model: StageModel) -> None:
        self.model = model
        self._matcher = PhraseMatcher(
            (stage.id, phrase)
            for stage in model.stages
            for phrases in stage.phrases.values()
            for phrase in phrases
        )

    def evidence(
        self, text: str, article_stages: Sequence[str] = (), article_id: str = ""
    ) -> list[StageEvidence]:
        """Evidence from the message text and from the stages of the article it matched."""
        found = [
            StageEvidence(hit.label, _phrase_weight(hit.words), TEXT, hit.phrase)
            for hit in self._matcher.find(text)
        ]
        known = [s for s in article_stages if s in self.model]
        for rank, stage in enumerate(known):
            weight = ARTICLE_WEIGHT if rank == 0 else ARTICLE_WEIGHT / 2
            found.append(StageEvidence(stage, weight, ARTICLE, article_id))
        return found

    def scores(self, evidence: Sequence[StageEvidence]) -> dict[str, float]:
        """Per stage, the evidence combined as independent clues (noisy-or), in [0, 1]."""
        missing: dict[str, float] = defaultdict(lambda: 1.0)
        for item in evidence:
            missing[item.stage] *= 1.0 - item.confidence
        return {stage: round(1.0 - rest, 4) for stage, rest in missing.items()}

    def decide(
        self, current: str, evidence: Sequence[StageEvidence], *, established: bool = True
    ) -> StageDecision:
        """Apply the stage rules to `evidence`, starting from the customer's `current` stage."""
        scores = self.scores(evidence)
        if not scores:
            return StageDecision(current, False)
        best, confidence = max(scores.items(), key=lambda item: (item[1], -self._order(item[0])))
        if best == current:
            return StageDecision(current, False, confidence=confidence)
        needed = STRONG if established else FIRST_MOVE
        if confidence < needed or confidence - scores.get(current, 0.0) < MARGIN:
            return StageDecision(current, False, confidence=confidence)
        model = self.model
        if (
            current in model
            and model.is_after_purchase(current)
            and model.position(best) < model.position(model.purchase_stage)
        ):
            return StageDecision(current, False, confidence=confidence)
        return StageDecision(best, True, self._reason(best, evidence), confidence)

    def _order(self, stage: str) -> int:
        return self.model.position(stage) if stage in self.model else 0

    def _reason(self, stage: str, evidence: Sequence[StageEvidence]) -> str:
        phrases = sorted({e.detail for e in evidence if e.stage == stage and e.source == TEXT})
        parts = []
        if phrases:
            parts.append("said " + ", ".join(f'"{p}"' for p in phrases[:3]))
        articles = sorted({e.detail for e in evidence if e.stage == stage and e.source == ARTICLE})
        if articles:
            parts.append("asked about " + ", ".join(a for a in articles if a))
        return "; ".join(parts)
