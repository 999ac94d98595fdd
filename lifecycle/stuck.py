"""Stuck detection: signals in a conversation, a score, a decision, and reasons in plain words.

The assessment is recomputed from the conversation's turns each time: it is a pure function of
what happened and the current time, so replay, the live app and tests agree by construction.
A helpful answer resets it: the customer was helped, earlier trouble no longer counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from knowledge_base.search import ANSWER, NONE, content_words
from lifecycle.phrases import PhraseMatcher
from lifecycle.rules import (
    ASKED_FOR_HUMAN,
    FRUSTRATION,
    IDLE_AFTER_QUESTION,
    NO_ANSWER,
    NOT_HELPFUL,
    PAYMENT_FAILURE,
    REPEATED_QUESTION,
    EscalationRules,
)
from lifecycle.stages import ESCALATE, OFFER, StageModel

QUESTION = "question"
FEEDBACK = "feedback"
HUMAN = "human"

SIGNAL_GAP = 2  # "checkout keeps showing an error" still says "checkout ... error"
REPEAT_SIMILARITY = 75  # rapidfuzz token_set_ratio on content words
_TEXT_SIGNALS = (ASKED_FOR_HUMAN, FRUSTRATION, PAYMENT_FAILURE, NOT_HELPFUL)


@dataclass(frozen=True)
class Turn:
    """One thing the customer did: asked (with what search decided), gave feedback, or asked
    for a person."""

    at: datetime
    kind: str  # QUESTION, FEEDBACK or HUMAN
    text: str = ""
    decision: str | None = None
    article_id: str | None = None
    topic: str = ""  # the matched article's title, for reasons
    helpful: bool | None = None


@dataclass(frozen=True)
class Signal:
    """A stuck signal seen at one turn (or at the end, for idleness)."""

    id: str
    turn: int
    detail: str = ""


@dataclass(frozen=True)
class Assessment:
    """How stuck a conversation looks, what to do, and why."""

    score: float
    signals: tuple[Signal, ...]
    reasons: tuple[str, ...]
    action: str | None  # ESCALATE, OFFER or None

    @property
    def signal_ids(self) -> list[str]:
        """Distinct signal ids in the order first seen."""
        return list(dict.fromkeys(s.id for s in self.signals))


class StuckDetector:
    """Scores conversations against the escalation rules and the stage model's thresholds."""

    def __init__(self, model: StageModel, rules: EscalationRules) -> None:
        self.model = model
        self.rules = rules
        self._matcher = PhraseMatcher(
            (
                (signal, phrase)
                for signal in _TEXT_SIGNALS
                if signal in rules.signals
                for phrases in rules.signals[signal].phrases.values()
                for phrase in phrases
            ),
            gap=SIGNAL_GAP,
        )

    def text_signals(self, text: str) -> list[Signal]:
        """Signals a single message shows by its words (turn index left at 0)."""
        found = [Signal(hit.label, 0, hit.phrase) for hit in self._matcher.find(text)]
        if FRUSTRATION not in {s.id for s in found} and _shouts(text):
            found.append(Signal(FRUSTRATION, 0, text.strip()[:40]))
        return found

    def assess(
        self,
        turns: Sequence[Turn],
        stage: str,
        now: datetime,
        earlier_stages: Sequence[str] = (),
    ) -> Assessment:
        """Assess the turns since the last helpful answer, as of `now`.

        `earlier_stages` are other stages the conversation has been in: a buyer whose failing
        checkout made them sound like a support case is still judged as a buyer.
        """
        start = 0
        for index, turn in enumerate(turns):
            if turn.kind == FEEDBACK and turn.helpful:
                start = index + 1
        signals: list[Signal] = []
        questions: list[int] = []
        for index in range(start, len(turns)):
            turn = turns[index]
            if turn.kind == HUMAN:
                signals.append(Signal(ASKED_FOR_HUMAN, index, ""))
            elif turn.kind == FEEDBACK and turn.helpful is False:
                signals.append(Signal(NOT_HELPFUL, index, ""))
            elif turn.kind == QUESTION:
                for found in self.text_signals(turn.text):
                    signals.append(Signal(found.id, index, found.detail))
                if turn.decision == NONE:
                    signals.append(Signal(NO_ANSWER, index, turn.text))
                if any(_same_question(turns[q], turn) for q in questions):
                    signals.append(Signal(REPEATED_QUESTION, index, turn.topic))
                questions.append(index)
        idle = self._idle_minutes(turns[start:], now)
        if idle is not None:
            signals.append(Signal(IDLE_AFTER_QUESTION, len(turns) - 1, f"{idle:.0f}"))
        signals = [s for s in signals if s.id in self.rules.signals]
        score = round(sum(self.rules.weight(s.id) for s in signals), 3)
        return Assessment(
            score,
            tuple(signals),
            _reasons(signals, turns),
            self._action(signals, score, [stage, *earlier_stages]),
        )

    def _action(self, signals: list[Signal], score: float, stages: list[str]) -> str | None:
        if any(s.id == ASKED_FOR_HUMAN for s in signals):
            return ESCALATE
        if not signals:
            return None
        actions = {
            rule.action
            for stage in stages
            if stage in self.model
            for rule in [self.model.stage(stage).escalation]
            if rule is not None and score >= rule.threshold
        }
        if ESCALATE in actions:
            return ESCALATE
        return OFFER if OFFER in actions else None

    def _idle_minutes(self, turns: Sequence[Turn], now: datetime) -> float | None:
        """Minutes of silence after a question that got no useful answer, if long enough."""
        if not turns:
            return None
        last = turns[-1]
        unhelped = (last.kind == QUESTION and last.decision != ANSWER) or (
            last.kind == FEEDBACK and last.helpful is False
        )
        if not unhelped:
            return None
        waited = (now - last.at).total_seconds() / 60
        return waited if waited >= self.rules.idle_minutes else None


def _same_question(earlier: Turn, later: Turn) -> bool:
    if earlier.article_id and earlier.article_id == later.article_id:
        return True
    a, b = content_words(earlier.text), content_words(later.text)
    return bool(a and b) and fuzz.token_set_ratio(a, b) >= REPEAT_SIMILARITY


def _shouts(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return "!!!" in text or "?!?" in text or (len(letters) >= 12 and upper / len(letters) > 0.7)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _reasons(signals: Sequence[Signal], turns: Sequence[Turn]) -> tuple[str, ...]:
    """The signals as sentences an agent can check against the transcript."""
    counts = Counter(s.id for s in signals)
    reasons: list[str] = []

    def quote(signal_id: str) -> str:
        details = [s.detail for s in signals if s.id == signal_id and s.detail]
        return f' ("{details[-1]}")' if details else ""

    if counts[ASKED_FOR_HUMAN]:
        reasons.append("asked for a person" + quote(ASKED_FOR_HUMAN))
    if counts[REPEATED_QUESTION]:
        topics = [s.detail for s in signals if s.id == REPEATED_QUESTION and s.detail]
        topic = f'"{topics[-1]}"' if topics else "the same thing"
        reasons.append(f"asked about {topic} {counts[REPEATED_QUESTION] + 1} times")
    if counts[NOT_HELPFUL]:
        many = counts[NOT_HELPFUL]
        said = quote(NOT_HELPFUL)
        reasons.append(
            f"the last {many} answers were marked not helpful"
            if many > 1
            else "an answer was marked not helpful" + said
        )
    if counts[NO_ANSWER]:
        count = _plural(counts[NO_ANSWER], "question", "questions")
        reasons.append(f"the knowledge base had no answer for {count}")
    if counts[PAYMENT_FAILURE]:
        reasons.append("reports a payment problem" + quote(PAYMENT_FAILURE))
    if counts[FRUSTRATION]:
        reasons.append("sounds frustrated" + quote(FRUSTRATION))
    idle = [s for s in signals if s.id == IDLE_AFTER_QUESTION]
    if idle:
        reasons.append(f"waiting {idle[-1].detail} minutes since the last question")
    return tuple(reasons)
