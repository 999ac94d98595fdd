"""Knowledge gaps: the questions the knowledge base failed, one gap per need behind them.

A question failed when search found nothing for it, or when the answer it got was marked not
helpful. Questions of one need asked in other words or another language make one gap, so a lead
can close it with one article; gaps are ranked by how many customers asked.

Grouping is by meaning when a sentence model is installed (knowledge_base/clustering.py:
vectors centred per language, greedy centres, centroid refinement) and by words otherwise;
BENCHMARKS.md ("Knowledge gaps") has both against exact-text grouping on held-out questions.
Question vectors are made through the caller's `VectorMemo`, so a second report over the same
period embeds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz, process

from knowledge_base.clustering import (
    center,
    content_words,
    group_vectors,
    group_words,
)
from knowledge_base.embedding import Kind
from knowledge_base.semantic import VectorMemo
from knowledge_base.text import fold

BACKGROUND = Path(__file__).with_name("gap_background.yaml")
# Cosine of language-centred e5 vectors, and token-set ratio of content words: each the best
# adjusted Rand index on the dev half of benchmarks/data/gaps (`benchmarks/gaps.py --tune`).
MEANING_THRESHOLD = 0.26
WORDS_THRESHOLD = 0.55
# The background's mean counts as this many questions: on the dev set the weight that did best
# over the whole set and over small reports (3 needs and 4 one-off questions) alike.
PRIOR_WEIGHT = 20.0
EXAMPLES = 3  # example questions per gap besides its label
CENTRAL_CHOICES = 200  # for words: the label is the most central of the most asked texts


@dataclass(frozen=True)
class Unanswered:
    """A customer question the knowledge base failed, with where it was asked."""

    text: str
    customer: str  # who asked: any key, one per customer
    stage: str  # the conversation's stage
    at: datetime
    language: str | None = None
    articles: tuple[str, ...] = ()  # the articles tried: answered, then marked not helpful


@dataclass(frozen=True)
class Gap:
    """One need the knowledge base does not meet, from every question asked about it."""

    label: str  # the most representative question
    questions: int
    customers: int
    stages: tuple[tuple[str, int], ...]  # stage, questions; most first
    languages: tuple[tuple[str, int], ...]
    examples: tuple[str, ...]  # other wordings, one per language first
    articles: tuple[tuple[str, int], ...]  # article tried, times; most first
    first_asked: datetime
    last_asked: datetime


def load_background(path: Path = BACKGROUND) -> dict[str, list[str]]:
    """The everyday questions per language that the language means come from."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(language): [str(text) for text in texts] for language, texts in data.items()}


class GapFinder:
    """Groups failed questions into gaps: by meaning with `vectors`, else by words."""

    def __init__(
        self,
        vectors: VectorMemo | None = None,
        *,
        threshold: float | None = None,
        threads: int = 1,
        background: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.vectors = vectors
        default = MEANING_THRESHOLD if vectors is not None else WORDS_THRESHOLD
        self.threshold = default if threshold is None else threshold
        self.threads = threads
        self._background_texts = background
        self._background: tuple[dict[str, np.ndarray], np.ndarray] | None = None

    @property
    def method(self) -> str:
        """How questions are grouped, for a report to say."""
        if self.vectors is None:
            return f"words (rapidfuzz token-set ratio >= {self.threshold:g})"
        return f"meaning ({self.vectors.id}, cosine >= {self.threshold:g})"

    def _centring(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Each language's offset from the mean of all, and that mean, from the background."""
        if self._background is None:
            assert self.vectors is not None
            texts = self._background_texts
            if texts is None:
                texts = load_background()
            means = {}
            for language, items in texts.items():
                vectors = self.vectors.vectors([(Kind.QUERY, text) for text in items])
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                means[language] = (vectors / np.where(norms == 0, 1, norms)).mean(axis=0)
            overall = np.mean(list(means.values()), axis=0)
            self._background = ({k: v - overall for k, v in means.items()}, overall)
        return self._background

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors (made once, then from the memo and its file)."""
        assert self.vectors is not None
        wanted = [(Kind.QUERY, text) for text in texts]
        found = self.vectors.vectors(wanted)
        background = self._background_texts or load_background()
        kept = [(Kind.QUERY, text) for items in background.values() for text in items]
        self.vectors.save(kept + wanted)
        return found

    def group(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None],
        weights: Sequence[float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """A group label per text, and the vectors grouped (None when grouped by words)."""
        if not texts:
            return np.zeros(0, dtype=np.int64), None
        if self.vectors is None:
            return group_words(texts, self.threshold, weights, threads=self.threads), None
        offsets, mean = self._centring()
        centred = center(self.embed(texts), languages, offsets, mean, PRIOR_WEIGHT)
        labels = group_vectors(centred, self.threshold, weights, threads=self.threads)
        return labels, centred

    def find(self, questions: Sequence[Unanswered]) -> list[Gap]:
        """The gaps among `questions`, most customers first."""
        unique: dict[tuple[str, str | None], list[int]] = {}
        for index, question in enumerate(questions):
            unique.setdefault((fold(question.text), question.language), []).append(index)
        keys = list(unique)
        texts = [questions[unique[key][0]].text for key in keys]
        weights = [len(unique[key]) for key in keys]
        labels, vectors = self.group(texts, [language for _, language in keys], weights)
        gaps = []
        for group in range(int(labels.max()) + 1 if len(labels) else 0):
            members = np.flatnonzero(labels == group)
            order = self._central_first(members, texts, weights, vectors)
            asked = [questions[i] for m in members for i in unique[keys[m]]]
            gaps.append(_gap([texts[m] for m in order], [keys[m][1] for m in order], asked))
        gaps.sort(key=lambda g: (-g.customers, -g.questions, -g.last_asked.timestamp(), g.label))
        return gaps

    @staticmethod
    def _central_first(
        members: np.ndarray,
        texts: Sequence[str],
        weights: Sequence[int],
        vectors: np.ndarray | None,
    ) -> list[int]:
        """The members, the most representative first (closest to the centroid, or for words
        most alike to the others), ties to the most asked, then the earliest."""
        if vectors is not None:
            centroid = (vectors[members] * np.asarray(weights)[members, None]).sum(axis=0)
            centrality = vectors[members] @ centroid
        else:
            asked = sorted(members, key=lambda m: (-weights[m], m))[:CENTRAL_CHOICES]
            words = [content_words(texts[m]) for m in asked]
            alike = process.cdist(words, words, scorer=fuzz.token_set_ratio, workers=1)
            np.fill_diagonal(alike, 0)
            score = dict(zip(asked, alike @ np.asarray([weights[m] for m in asked]), strict=True))
            centrality = np.array([score.get(m, -1.0) for m in members])
        ranked = sorted(range(len(members)),
                        key=lambda i: (-round(float(centrality[i]), 6), -weights[members[i]],
                                       members[i]))  # fmt: skip
        return [int(members[i]) for i in ranked]


def _counted(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Values with how often, most first, ties by name."""
    return tuple(sorted(Counter(values).items(), key=lambda item: (-item[1], item[0])))


def _gap(texts: list[str], languages: list[str | None], asked: list[Unanswered]) -> Gap:
    """A gap from its distinct texts (most representative first) and every question asked."""
    label = texts[0]
    examples: list[str] = []
    seen = {languages[0]}
    for text, language in zip(texts[1:], languages[1:], strict=True):  # one per language first
        if language not in seen and len(examples) < EXAMPLES:
            examples.append(text)
            seen.add(language)
    examples += [t for t in texts[1:] if t not in examples][: EXAMPLES - len(examples)]
    times = [question.at for question in asked]
    return Gap(
        label=label,
        questions=len(asked),
        customers=len({question.customer for question in asked}),
        stages=_counted(question.stage for question in asked),
        languages=_counted(question.language or "?" for question in asked),
        examples=tuple(examples),
        articles=_counted(article for question in asked for article in question.articles),
        first_asked=min(times),
        last_asked=max(times),
    )
