"""Stuck detection: signals in a conversation, a score, a decision, and reasons in plain words.

The assessment is recomputed from the conversation's turns each time: it is a pure function of
what happened and the current time, so replay, the live app and tests agree by construction.
It reads the conversation's arc, not only its signals:
- a helpful answer or a closing ("found it, thanks", "alles klar") resets it: the customer was
  helped or helped themselves, earlier trouble no longer counts;
- a question the knowledge base could not answer stops counting once the customer moved on to
  another question and got an answer;
- asking the same thing again, in the same or other words, is a repeat, and silence after it
  is waiting even when the bot had answered (the answer evidently did not help);
- a buyer with a clear purchase intent (checkout, cart, payment, an order being placed) is
  judged by the purchase stage's threshold even while the tagger still says evaluation.
With the meaning model (lifecycle/meaning.py) the signals, closings and repeats are also
recognised by the nearest labelled examples, and each says which example and how near.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from knowledge_base.search import ANSWER, NONE, content_words
from lifecycle.meaning import CLOSING as CLOSING_LABEL
from lifecycle.meaning import SIGNAL, STAGE, Meaning, Reading
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
from lifecycle.smalltalk import (
    THANKS,
    courtesy,
    found_it,
    in_advance,
    negated,
    resolves,
    thanks_word,
)
from lifecycle.stages import ESCALATE, OFFER, StageModel

QUESTION = "question"
FEEDBACK = "feedback"
HUMAN = "human"
CLOSING = "closing"

SIGNAL_GAP = 2  # "checkout keeps showing an error" still says "checkout ... error"
REPEAT_SIMILARITY = 75  # rapidfuzz token_set_ratio on content words
_TEXT_SIGNALS = (ASKED_FOR_HUMAN, FRUSTRATION, PAYMENT_FAILURE, NOT_HELPFUL)
# Signals the meaning model also finds: (floor, lead over the nearest stage or closing example).
# A request for a person costs an agent, so it needs the clearest lead.
MEANING_SIGNALS = {ASKED_FOR_HUMAN: (0.88, 0.03), FRUSTRATION: (0.88, 0.02),
                   NOT_HELPFUL: (0.92, 0.02), PAYMENT_FAILURE: (0.89, 0.0)}  # fmt: skip
# A closing: near a closing example, nearer than to any question or signal example, short, and
# not itself a question.
CLOSING_FLOOR = 0.86
CLOSING_LEAD = 0.01
CLOSING_WORDS = 24
# A clause may close a message that as a whole reads as something else ("o, jest mail,
# przyszedł. no i elegancko, dzięki"), but not one that reads clearly as something else: a
# short clause alone ("echt jetzt", "yes I've refreshed") sounds like a closing far too often.
# Here the whole message's closing similarity may trail its nearest other label by this much.
CLAUSE_GATE = 0.008
_CLAUSE = re.compile(r"[.!;,\n]+|\s[-\u2013\u2014]\s")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
SENTENCE_WORDS = 3  # "ok." or "hi!" alone says nothing
MAX_SENTENCES = 4  # each one read costs an embedding
# Read sentence by sentence when a request for a person is this near the whole message's
# nearest label: 137 of 469 messages of several sentences in the dev sets, every request for a
# person among them that the whole message hid.
ASK_LAG = 0.02
# Two messages this alike in meaning ask for the same thing.
REPEAT_COSINE = 0.90
# The nearest stage example is a purchase one, this near: a buyer, whatever the tag says.
INTENT_FLOOR = 0.86
INTENT_LEAD = 0.02  # ahead of the next stage by this much: not a coin toss
PLAN_GAP = 4  # "wenn ich die Maschine heute noch bestelle": German puts the verb last


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
    article_stages: tuple[str, ...] = ()  # the matched article's stages


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

    def __init__(
        self, model: StageModel, rules: EscalationRules, meaning: Meaning | None = None
    ) -> None:
        self.model = model
        self.rules = rules
        self.meaning = meaning

        def buying(
            lists: dict[str, tuple[str, ...]], gap: int = 0, whole: bool = False
        ) -> PhraseMatcher:
            pairs = ((model.purchase_stage, p) for phrases in lists.values() for p in phrases)
            return PhraseMatcher(pairs, gap=gap, whole=whole)

        self._intent = buying(rules.buying)
        # Whole words, German verbs last: see PLAN_GAP.
        self._planned = buying(rules.about_to_buy, gap=PLAN_GAP, whole=True)
        self._decided = buying(rules.decided, gap=PLAN_GAP, whole=True)
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

    def read(self, text: str) -> Reading | None:
        """The message's nearest labelled examples, when the meaning model is on."""
        return self.meaning.read(text) if self.meaning is not None else None

    def courtesy(self, text: str) -> str | None:
        """THANKS when the message closes a need ("found it, thanks", "hat geklappt, danke"),
        GREETING when it only greets, None for anything else (a question, a problem).

        Beyond the word lists (lifecycle/smalltalk.py), the meaning model recognises a closing
        in the whole message or in one of its clauses ("o, jest mail, przyszedł. no i
        elegancko, dzięki") or in a last clause of thanks ("..., dzięki wielkie"); a decision
        to buy closes too ("going for it"). Always provided the message asks nothing, thanks
        nobody in advance and shows no stuck signal; and a clause alone closes a message that
        as a whole reads as something else only if it says thanks (`CLAUSE_GATE`)."""
        if in_advance(text):
            return None
        kind = courtesy(text)
        if kind is not None or self.meaning is None:
            return kind
        if "?" in text or len(text.split()) > CLOSING_WORDS or self.text_signals(text):
            return None
        if self._closes(text):
            return THANKS
        reading = self.meaning.read(text)
        nearest = reading.ranked("")
        if nearest and nearest[0].label.startswith(SIGNAL):
            return None  # "..., geht trotzdem nicht": a clause may sound done, the whole is not
        if self.decided(text) and not negated(text):
            return THANKS  # "great, didn't know Klarna did 3 payments. going for it"
        clauses = [c.strip() for c in _CLAUSE.split(text) if c.strip()]
        if len(clauses) > 1 and courtesy(clauses[-1]) == THANKS:
            return THANKS  # "so it pays to add something to reach 40, thanks a lot, all clear!"
        others = [n.similarity for n in nearest if n.label != CLOSING_LABEL]
        gated = reading.similarity(CLOSING_LABEL) < max(others, default=0.0) - CLAUSE_GATE
        for part in dict.fromkeys(clauses):
            # A clause of thanks ("dzięki wielkie") closes even a message that reads otherwise.
            if gated and not thanks_word(part):
                continue
            if courtesy(part) is None and self._closes(part):
                return THANKS
        if any(resolves(c) or found_it(c) for c in clauses):
            return THANKS  # "..., it's over 40 now. cheers, sorted"; "..., trovato"
        return None

    def _closes(self, text: str) -> bool:
        assert self.meaning is not None
        reading = self.meaning.read(text)
        closing = reading.similarity(CLOSING_LABEL)
        others = [n.similarity for n in reading.nearest.values() if n.label != CLOSING_LABEL]
        return closing >= CLOSING_FLOOR and closing - max(others, default=0.0) >= CLOSING_LEAD

    def text_signals(self, text: str) -> list[Signal]:
        """Signals a single message shows by its words or its meaning (turn index left at 0)."""
        found = [Signal(hit.label, 0, hit.phrase) for hit in self._matcher.find(text)]
        if FRUSTRATION not in {s.id for s in found} and _shouts(text):
            found.append(Signal(FRUSTRATION, 0, text.strip()[:40]))
        if self.meaning is None:
            return found
        seen = {s.id for s in found}
        found += [s for s in self._meant_signals(text, MEANING_SIGNALS) if s.id not in seen]
        if ASKED_FOR_HUMAN in {s.id for s in found}:
            return found
        # A request for a call at the end of a paragraph about the order is drowned out when
        # only the whole is read: a message of several sentences is also read sentence by
        # sentence for it (only for it: a sentence alone sounds more upset, or more like a
        # payment problem, than the message it is part of). Each sentence read costs an
        # embedding, so only when the request's examples are nearly as near the whole as
        # its nearest label is: a lag, not a rank, since the labels crowd together (dev:
        # requests ranked 7th and 8th, within 0.012 of the first, were missed by rank 5).
        reading = self.meaning.read(text)
        nearest = reading.ranked("")
        if not nearest:
            return found
        if nearest[0].similarity - reading.similarity(SIGNAL + ASKED_FOR_HUMAN) > ASK_LAG:
            return found
        asks = {ASKED_FOR_HUMAN: MEANING_SIGNALS[ASKED_FOR_HUMAN]}
        for sentence in _sentences(text):
            if meant := self._meant_signals(sentence, asks):
                return [*found, meant[0]]
        return found

    def _meant_signals(self, text: str, signals: dict[str, tuple[float, float]]) -> list[Signal]:
        """The `signals` whose examples the text is clearly nearest to."""
        assert self.meaning is not None
        reading = self.meaning.read(text)
        stages = reading.ranked(STAGE)
        nearest_stage = max(
            stages[0].similarity if stages else 0.0, reading.similarity(CLOSING_LABEL)
        )
        found = []
        for signal, (floor, lead) in signals.items():
            near = reading.get(SIGNAL + signal)
            if near is None or near.similarity < floor:
                continue
            if near.similarity - nearest_stage >= lead:
                found.append(Signal(signal, 0, near.why))
        return found

    def buying_words(self, text: str) -> str:
        """The longest buying phrase in the message ("checkout", "Warenkorb", "if I order"),
        or ""."""
        hits = [hit for hit in self._intent.find(text) if hit.exact]
        hits += self._planned.find(text)
        return max(hits, key=lambda h: h.words).phrase if hits else ""

    def plans_to_buy(self, text: str) -> str:
        """The longest phrase of a plan to buy ("if I order", "se lo compro"), or "": unlike
        "my order", never about an order placed before."""
        hits = self._planned.find(text)
        return max(hits, key=lambda h: h.words).phrase if hits else ""

    def decided(self, text: str) -> str:
        """The longest phrase of a decision to buy ("ordering now", "dann nehm ich sie"), or
        "": read in closings only."""
        hits = self._decided.find(text)
        return max(hits, key=lambda h: h.words).phrase if hits else ""

    def purchase_intent(
        self, turn: Turn, after_purchase: bool = False, signals: Sequence[Signal] | None = None
    ) -> str:
        """Why the customer asking this is buying right now ("" when nothing says so): an
        answer from a purchase article, meaning nearest to the purchase stage's examples, or,
        for a customer who has not bought yet, a buying word ("cart", "Kasse") or a failing
        payment. Someone who has bought says "my order" about the last one, not a new one, but
        "if I order" is a new one from anybody."""
        purchase = self.model.purchase_stage
        if turn.article_stages and turn.article_stages[0] == purchase:
            return f'asked about "{turn.topic or turn.article_id}"'
        reading = self.read(turn.text)
        if reading is not None:
            stages = reading.ranked(STAGE)
            top = stages[0] if stages else None
            lead = top.similarity - stages[1].similarity if top and len(stages) > 1 else 0.0
            clear = top is not None and top.similarity >= INTENT_FLOOR and lead >= INTENT_LEAD
            if top and top.label == STAGE + purchase and clear:
                return "sounds " + top.why
        planned = self.plans_to_buy(turn.text)
        if planned:
            return f'said "{planned}"'
        if after_purchase:
            return ""
        words = self.buying_words(turn.text)
        if words:
            return f'said "{words}"'
        found = self.text_signals(turn.text) if signals is None else signals
        if any(s.id == PAYMENT_FAILURE for s in found):
            return "a payment problem"
        return ""

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
            if (turn.kind == FEEDBACK and turn.helpful) or turn.kind == CLOSING:
                start = index + 1
        signals: list[Signal] = []
        questions: list[int] = []
        repeated: set[int] = set()
        intent = ""
        # After the purchase, "my order" is the last one, not a new one; but a conversation
        # that came into the purchase stage in its own course is someone buying now, even if
        # a question about returns then made it sound like support (the first of the earlier
        # stages is where it began).
        buying_here = self.model.purchase_stage in earlier_stages[1:]
        bought = stage in self.model and self.model.is_after_purchase(stage) and not buying_here
        for index in range(start, len(turns)):
            turn = turns[index]
            if turn.kind == HUMAN:
                signals.append(Signal(ASKED_FOR_HUMAN, index, ""))
            elif turn.kind == FEEDBACK and turn.helpful is False:
                signals.append(Signal(NOT_HELPFUL, index, ""))
            elif turn.kind == QUESTION:
                said = self.text_signals(turn.text)
                signals += [Signal(found.id, index, found.detail) for found in said]
                if turn.decision == NONE and not self._moved_on(turns, index):
                    signals.append(Signal(NO_ANSWER, index, turn.text))
                if any(self._same_question(turns[q], turn) for q in questions):
                    signals.append(Signal(REPEATED_QUESTION, index, turn.topic))
                    repeated.add(index)
                questions.append(index)
                intent = intent or self.purchase_intent(turn, bought, said)
        idle = self._idle_minutes(turns[start:], now, repeated_last=len(turns) - 1 in repeated)
        if idle is not None:
            signals.append(Signal(IDLE_AFTER_QUESTION, len(turns) - 1, f"{idle:.0f}"))
        signals = [s for s in signals if s.id in self.rules.signals]
        score = round(sum(self.rules.weight(s.id) for s in signals), 3)
        # Judged by every stage the conversation has been in, except that a customer who has
        # bought since is no longer a buyer unless they are buying again.
        judged = [stage, *(s for s in earlier_stages if intent or not bought)]
        buyer = bool(intent) and self.model.purchase_stage not in judged
        if buyer:
            judged.append(self.model.purchase_stage)
        action = self._action(signals, score, judged)
        reasons = _reasons(signals, turns)
        if buyer and signals:
            reasons += (f"judged as a buyer: {intent}",)
        return Assessment(score, tuple(signals), reasons, action)

    def _moved_on(self, turns: Sequence[Turn], index: int) -> bool:
        """Whether, after an unanswered question, the customer asked about something else and
        got an answer: the first need was evidently not pressing."""
        asked = turns[index]
        return any(
            later.kind == QUESTION
            and later.decision == ANSWER
            and not self._same_question(asked, later)
            for later in turns[index + 1 :]
        )

    def _same_question(self, earlier: Turn, later: Turn) -> bool:
        if _same_question(earlier, later):
            return True
        if self.meaning is None:
            return False
        return self.meaning.similarity(earlier.text, later.text) >= REPEAT_COSINE

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

    def _idle_minutes(
        self, turns: Sequence[Turn], now: datetime, *, repeated_last: bool = False
    ) -> float | None:
        """Minutes of silence after a question that got no useful answer (or was asked again,
        so the answer did not help), if long enough."""
        if not turns:
            return None
        last = turns[-1]
        unhelped = (last.kind == QUESTION and (last.decision != ANSWER or repeated_last)) or (
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


def _sentences(text: str) -> list[str]:
    """The sentences of a message of two or more, each of a few words (at most MAX_SENTENCES)."""
    found = [p.strip() for p in _SENTENCE.split(text) if len(p.split()) >= SENTENCE_WORDS]
    return found[:MAX_SENTENCES] if len(found) > 1 else []


# Anger looks the same in every language.
_ANGRY_FACES = ("\U0001f621", "\U0001f92c", "\U0001f620", "\U0001f624")  # 😡 🤬 😠 😤


def _shouts(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return (
        "!!!" in text
        or "?!?" in text
        or (len(letters) >= 12 and upper / len(letters) > 0.7)
        or any(face in text for face in _ANGRY_FACES)
    )


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
