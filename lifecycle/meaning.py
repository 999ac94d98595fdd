"""What a message means, read from the labelled examples it is nearest to.

Phrase lists cannot cover four languages' ways of saying "found it, thanks" or "I'd rather
talk to someone": a multilingual sentence model can. Every labelled example (each stage's
examples in the stage model, each stuck signal's and the closings' in the escalation rules) is
embedded once as a query, like the customer's message, and a message's reading is, per label,
the mean similarity of its TOP_K most similar examples, and the most similar one. The example
stays in the reading, so every decision made from it can say why: 'like "Grazie, trovato!"
(0.93)' (that example's own similarity).

Vectors come from the knowledge base's embedder (`knowledge_base.semantic.VectorMemo`): the
examples are cached on disk like article texts, and a message read by the search is not
embedded a second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge_base.embedding import Kind
from knowledge_base.semantic import VectorMemo
from lifecycle.rules import EscalationRules
from lifecycle.stages import StageModel

STAGE = "stage:"
SIGNAL = "signal:"
CLOSING = "closing"
READINGS_KEPT = 4096
# A label's similarity is the mean of its few most similar examples: one example that happens
# to sit near a message of another label moves it less than the single nearest would (dev:
# precision 0.929 -> 0.964, stuck recall 0.90 -> 0.95, Bitext stage accuracy 0.875 -> 0.885;
# 2 and 5 were worse than 3).
TOP_K = 3


@dataclass(frozen=True)
class Nearest:
    """A label's most similar example for a message."""

    label: str
    similarity: float  # the label's: the mean of its TOP_K most similar examples
    example: str  # the most similar example
    closest: float = 0.0  # that example's own similarity

    @property
    def why(self) -> str:
        return f'like "{self.example}" ({max(self.closest, self.similarity):.2f})'


@dataclass(frozen=True)
class Reading:
    """One message's nearest example per label."""

    nearest: dict[str, Nearest]

    def get(self, label: str) -> Nearest | None:
        return self.nearest.get(label)

    def ranked(self, prefix: str) -> list[Nearest]:
        """The labels starting with `prefix`, most similar first."""
        found = [n for label, n in self.nearest.items() if label.startswith(prefix)]
        return sorted(found, key=lambda n: n.similarity, reverse=True)

    def similarity(self, label: str) -> float:
        found = self.nearest.get(label)
        return found.similarity if found else 0.0


class Meaning:
    """Labelled examples as one matrix; reading a message is one product with its vector."""

    def __init__(self, vectors: VectorMemo, examples: Iterable[tuple[str, str]]) -> None:
        self.vectors = vectors
        unique = sorted(dict.fromkeys((label, text.strip()) for label, text in examples if text))
        self._labels = [label for label, _ in unique]
        self._texts = [text for _, text in unique]
        texts = [(Kind.QUERY, text) for text in self._texts]
        self._matrix = vectors.vectors(texts) if texts else np.zeros((0, 0), np.float32)
        vectors.save(texts)
        # A message is read for its closing, its signals, its stage and, at every later message
        # of the conversation, again for the arc: the readings of recent texts are kept.
        self.read = lru_cache(maxsize=READINGS_KEPT)(self._read)
        # Rows are sorted by label: each label is one slice of the matrix.
        self._starts: list[tuple[str, int]] = []
        for row, label in enumerate(self._labels):
            if not self._starts or self._starts[-1][0] != label:
                self._starts.append((label, row))

    def vector(self, text: str) -> np.ndarray:
        return self.vectors.query(text)

    def _read(self, text: str) -> Reading:
        """The message's most similar example of every label (`read` remembers them)."""
        if not self._starts or not text.strip():
            return Reading({})
        similarities = self._matrix @ self.vector(text)
        bounds = [start for _, start in self._starts]
        nearest: dict[str, Nearest] = {}
        ends = [*bounds[1:], len(similarities)]
        # A label with fewer than TOP_K examples (a company's own stage model may have one)
        # would have the mean of fewer, higher values: its missing examples count as the
        # similarity of a typical unrelated example instead, the median of all.
        unrelated: float | None = None
        for (label, start), end in zip(self._starts, ends, strict=True):
            part = similarities[start:end]
            row = start + int(np.argmax(part))
            best = np.sort(part)[-TOP_K:]
            top = float(best.mean())
            if len(best) < TOP_K:
                if unrelated is None:
                    unrelated = float(np.median(similarities))
                top = (float(best.sum()) + (TOP_K - len(best)) * unrelated) / TOP_K
            closest = round(float(similarities[row]), 4)
            nearest[label] = Nearest(label, round(top, 4), self._texts[row], closest)
        return Reading(nearest)

    def similarity(self, first: str, second: str) -> float:
        """How alike two messages are in meaning (cosine of unit vectors)."""
        if not first.strip() or not second.strip():
            return 0.0
        return float(self.vector(first) @ self.vector(second))


def examples_of(
    stages: Iterable[tuple[str, dict[str, Sequence[str]]]],
    signals: Iterable[tuple[str, dict[str, Sequence[str]]]],
    closings: dict[str, Sequence[str]],
) -> list[tuple[str, str]]:
    """(label, text) for every example of every stage, signal and closing, all languages."""
    found: list[tuple[str, str]] = []
    for stage, per_language in stages:
        found += [(STAGE + stage, text) for texts in per_language.values() for text in texts]
    for signal, per_language in signals:
        found += [(SIGNAL + signal, text) for texts in per_language.values() for text in texts]
    found += [(CLOSING, text) for texts in closings.values() for text in texts]
    return found


def build_meaning(vectors: VectorMemo, model: StageModel, rules: EscalationRules) -> Meaning:
    """The meaning model over the stage model's and the escalation rules' examples."""
    return Meaning(
        vectors,
        examples_of(
            ((stage.id, stage.examples) for stage in model.stages),
            ((signal, rule.examples) for signal, rule in rules.signals.items()),
            rules.closings,
        ),
    )
