"""Stage tagging: evidence from a message and its matched article, and rules for moving stage.

The rules are meant to be reasoned about by a person:
- the customer's known stage is the prior: only strong evidence (or any evidence for a customer
  we know nothing about yet) moves it, and the new stage must clearly beat the current one;
- before the purchase, a customer goes back at most one stage, and only on clear evidence;
- a known buyer moves on to the stage after the purchase on weaker evidence, since what they
  write next is mostly about what they bought, unless the message sounds like one written
  before buying ("do you also have decaf?"), which is more buying;
- a customer who has bought is never sent back before the purchase stage by a question, and
  moves between the stages after it (support, bonding) as readily as one step forward: a loyal
  customer with a leaking machine is a support case;
- buying again (strong purchase evidence) moves a loyal customer back into purchase;
- talk of leaving (cancelling, not renewing, switching) moves a customer who has bought to the
  model's leaving stage from any stage after the purchase as readily as one step forward.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge_base.search import content_words
from lifecycle.meaning import CLOSING, SIGNAL, STAGE, Meaning, Nearest
from lifecycle.phrases import PhraseMatcher
from lifecycle.rules import ASKED_FOR_HUMAN
from lifecycle.stages import StageModel

TEXT = "text"
ARTICLE = "article"
EXAMPLE = "example"
MEANING = "meaning"

STRONG = 0.75  # moves an established stage
NEXT = 0.6  # enough to move one step forward, the way customers usually go
AFTER_BUYING = 0.45  # a buyer moving on to the stage after the purchase: see _needed
BACKWARD = 0.9  # going back a stage needs clear evidence: the known stage is the prior
FIRST_MOVE = 0.4  # enough for a customer still at the model's default stage
MARGIN = 0.2  # how much the new stage must beat the current one by
GAP = 3  # words allowed between a phrase's words ("open a new premium account")
GAPPED = 0.3  # a phrase found with words between counts this much of a whole one
EXAMPLE_CUTOFF = 65  # rapidfuzz token_set_ratio against the model's example sentences
EXAMPLE_WEIGHT = 0.5
ARTICLE_WEIGHT = 0.5  # an answered article's first stage; later stages get half
# Meaning: the stage whose examples the message is nearest to, counted by how clearly it leads
# the next stage (cosines of e5 crowd together: the lead says more than the level).
MEANING_FLOOR = 0.80  # below this the nearest example is not like the message at all
MEANING_LEAD = 0.02  # a lead this large counts fully
MEANING_WEIGHT = 0.7
NO_STAGE = (CLOSING, SIGNAL + ASKED_FOR_HUMAN)


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

    def __init__(self, model: StageModel, meaning: Meaning | None = None) -> None:
        self.model = model
        self.meaning = meaning
        self._matcher = PhraseMatcher(
            (
                (stage.id, phrase)
                for stage in model.stages
                for phrases in stage.phrases.values()
                for phrase in phrases
            ),
            gap=GAP,
        )
        self._examples = [
            (stage.id, example)
            for stage in model.stages
            for examples in stage.examples.values()
            for example in examples
        ]
        self._example_texts = [content_words(example) for _, example in self._examples]

    def evidence(
        self,
        text: str,
        article_stages: Sequence[str] = (),
        article_id: str = "",
        *,
        current: str | None = None,
    ) -> list[StageEvidence]:
        """Evidence from the message text and from the stages of the article it matched.

        `current` is an established customer's stage: meaning then weighs only the stages they
        can move to (a customer who bought is never sent back to evaluation, so evaluation's
        examples do not compete with bonding's)."""
        found = [
            StageEvidence(
                hit.label,
                _phrase_weight(hit.words) * (1.0 if hit.exact else GAPPED),
                TEXT,
                hit.phrase,
            )
            for hit in self._matcher.find(text)
        ]
        if self.meaning is not None:
            found.extend(self._meaning_evidence(text, current))
        elif not found:
            found.extend(self._example_evidence(text))
        known = list(
            dict.fromkeys(r for s in article_stages if (r := self.model.resolve(s)) is not None)
        )
        for rank, stage in enumerate(known):
            weight = ARTICLE_WEIGHT if rank == 0 else ARTICLE_WEIGHT / 2
            found.append(StageEvidence(stage, weight, ARTICLE, article_id))
        return found

    def _example_evidence(self, text: str) -> list[StageEvidence]:
        """With no phrase to go on, the closest example sentence of the stage model, if close."""
        wanted = content_words(text)
        # One word ("hello") is a subset of many examples: token_set_ratio would call it a match.
        if len(wanted.split()) < 2 or not self._examples:
            return []
        match = process.extractOne(
            wanted, self._example_texts, scorer=fuzz.token_set_ratio, score_cutoff=EXAMPLE_CUTOFF
        )
        if match is None:
            return []
        _, score, index = match
        stage, example = self._examples[index]
        return [StageEvidence(stage, EXAMPLE_WEIGHT * score / 100, EXAMPLE, example)]

    def _meaning_evidence(self, text: str, current: str | None) -> list[StageEvidence]:
        """The stage whose examples the message is nearest to, if it clearly leads."""
        assert self.meaning is not None
        reading = self.meaning.read(text)
        ranked = reading.ranked(STAGE)
        model = self.model
        if current == model.purchase_stage and ranked:
            nearest_stage = ranked[0].label.removeprefix(STAGE)
            if nearest_stage in model and model.position(nearest_stage) < model.position(current):
                # A buyer's question that sounds like one before buying ("do you also have
                # decaf?") is more buying, not the support case its second-nearest stage says.
                return []
        if current in self.model:
            ranked = [
                n
                for n in ranked
                if (stage := n.label.removeprefix(STAGE)) == current
                or self._needed(current, stage) is not None
            ]
        if not ranked or ranked[0].similarity < MEANING_FLOOR:
            return []
        nearest = reading.ranked("")[0]
        if nearest.label in NO_STAGE and nearest.similarity > ranked[0].similarity:
            return []  # a request for a person or a closing says nothing of the stage
        top = ranked[0]
        rivals = ranked[1:]
        if current == self.model.purchase_stage and self._after(top):
            # For a buyer the question is whether they are past buying: support and bonding
            # talk ("the parcel came with the wrong beans") both say so, and a near tie
            # between the two is no reason to stay in purchase.
            rivals = [n for n in rivals if not self._after(n)]
        lead = top.similarity - (rivals[0].similarity if rivals else MEANING_FLOOR)
        confidence = MEANING_WEIGHT * min(1.0, lead / MEANING_LEAD)
        if confidence <= 0:
            return []
        stage = top.label.removeprefix(STAGE)
        return [StageEvidence(stage, round(confidence, 4), MEANING, top.why)]

    def _after(self, nearest: Nearest) -> bool:
        """Whether a stage label is one after the purchase, leaving aside the leaving stage."""
        stage = nearest.label.removeprefix(STAGE)
        model = self.model
        return (
            stage in model and model.is_after_purchase(stage) and stage != model.leaving_stage
        )

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
        if established and current in self.model:
            # Evidence for a stage the customer cannot go back to says nothing about where
            # they are going ("sto pensando di..." is evaluation talk, from a loyal customer
            # thinking of not renewing).
            scores = {
                stage: score
                for stage, score in scores.items()
                if stage == current or self._needed(current, stage) is not None
            }
        if not scores:
            return StageDecision(current, False)
        best, confidence = max(scores.items(), key=lambda item: (item[1], -self._order(item[0])))
        if best == current:
            return StageDecision(current, False, confidence=confidence)
        needed = self._needed(current, best) if established else FIRST_MOVE
        if needed is None or confidence < needed:
            return StageDecision(current, False, confidence=confidence)
        if confidence - scores.get(current, 0.0) < MARGIN:
            return StageDecision(current, False, confidence=confidence)
        return StageDecision(best, True, self._reason(best, evidence), confidence)

    def _needed(self, current: str, best: str) -> float | None:
        """How confident evidence must be to move from `current` to `best` (None: never)."""
        model = self.model
        if current not in model:
            return FIRST_MOVE
        here, there = model.position(current), model.position(best)
        purchase = model.position(model.purchase_stage)
        if model.is_after_purchase(current):
            if best == model.leaving_stage:
                return NEXT  # cancelling, not renewing, switching: what they had is ending
            if there < purchase:
                return None  # a customer who bought is not sent back by a question
            if there == purchase:
                return STRONG  # buying again
            if current == model.leaving_stage:
                return BACKWARD  # one who is leaving needs clear evidence of staying
            return NEXT  # has bought: a problem is support, loyalty talk is bonding
        if here == purchase and there == here + 1 and best != model.leaving_stage:
            # What a known buyer writes next is more often about what they bought (the parcel,
            # the setup, a fault) than more buying: weaker evidence will do (dev, 640
            # conversations: 0.6 -> 0.45 fixed 7 false alarms and 12 stages, broke 4 stages;
            # 0.35 fixed one more of each and broke 2 more stages).
            return AFTER_BUYING
        if there == here + 1:
            return NEXT  # the natural next step of the funnel
        if there > here:
            return STRONG
        # One step back ("actually, still comparing") happens; a buyer asking "do you sell
        # decaf?" is not making first contact again.
        return BACKWARD if there == here - 1 else None

    def _order(self, stage: str) -> int:
        return self.model.position(stage) if stage in self.model else 0

    def _reason(self, stage: str, evidence: Sequence[StageEvidence]) -> str:
        phrases = sorted({e.detail for e in evidence if e.stage == stage and e.source == TEXT})
        parts = []
        if phrases:
            parts.append("said " + ", ".join(f'"{p}"' for p in phrases[:3]))
        meant = [e.detail for e in evidence if e.stage == stage and e.source == MEANING]
        if meant:
            parts.append("sounds " + meant[0])
        known = (TEXT, ARTICLE, MEANING, EXAMPLE)
        parts += sorted({e.detail for e in evidence if e.stage == stage and e.source not in known})
        articles = sorted({e.detail for e in evidence if e.stage == stage and e.source == ARTICLE})
        if articles:
            parts.append("asked about " + ", ".join(a for a in articles if a))
        return "; ".join(parts)
