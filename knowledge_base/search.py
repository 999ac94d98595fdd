"""Search the knowledge base: ranked hits with a score in [0, 1] and a decision.

The decision is what the customer sees: `answer` (one confident article), `suggest` (up to three
to pick from) or `none` (say so and offer a person). A wrong answer loses a sale, so `answer`
needs both a high score and a clear lead over the runner-up article.

How it ranks (knowledge_base/index.py has the details): one index per locale, each analysed with
that language's Snowball stemmer; BM25 over word stems and over character 4-grams finds
candidates fast in plain dicts, then the best 30 are re-scored with cosine similarity to the
article's phrasings and rapidfuzz ratios on the whole text. Stems carry inflection (it, de, pl),
n-grams and a small spelling corrector carry typos and missing accents, and the re-ranking sees
word order. On Banking77 10-shot and Bitext this mix beats plain BM25 and plain rapidfuzz by 17
to 24 points of top-1 accuracy and, past a thousand questions, answers faster than rapidfuzz
alone. Pure Python besides rapidfuzz and snowballstemmer (a small pure-Python wheel): no numpy,
no model to download. benchmarks/kb_retrieval.py measures it; BENCHMARKS.md has the figures.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from enum import StrEnum

from knowledge_base.articles import Article, KnowledgeBase
from knowledge_base.index import LocaleIndex
from knowledge_base.language import detect_language
from knowledge_base.stemming import FUNCTION_WORDS
from knowledge_base.text import fold


class SearchDecision(StrEnum):
    """What to do with a query's hits (see the module docstring)."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    NONE = "none"


ANSWER, SUGGEST, NONE = SearchDecision.ANSWER, SearchDecision.SUGGEST, SearchDecision.NONE

PUBLIC_AUDIENCE = "public"
AGENT_AUDIENCE = "agent"

# Tuned on Bitext dev (answer precision against the share answered) and checked on the bundled
# knowledge base; benchmarks/kb_retrieval.py reports them on held-out queries.
ANSWER_SCORE = 0.5
ANSWER_MARGIN = 0.08
SUGGEST_SCORE = 0.4
# A fallback-locale article must beat one in the customer's language by this much.
FALLBACK_PENALTY = 0.97


@dataclass(frozen=True)
class Hit:
    """One article and how well it matches."""

    article: Article
    score: float


@dataclass(frozen=True)
class SearchResult:
    """What a query found, in which language it was read, and what to do with it."""

    query: str
    language: str
    decision: SearchDecision
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def related(self) -> tuple[Hit, ...]:
        """The hits worth offering a customer: near misses stay visible to agents and in
        `kb search`, but are not suggested."""
        return tuple(hit for hit in self.hits if hit.score >= SUGGEST_SCORE)


def content_words(text: str) -> str:
    """Folded text without function words, which make unrelated questions look alike."""
    kept = [w for w in fold(text).split() if w not in FUNCTION_WORDS]
    return " ".join(kept) if kept else fold(text)


def decide(scores: list[float]) -> SearchDecision:
    """The decision for article scores sorted best first."""
    if not scores or scores[0] < SUGGEST_SCORE:
        return NONE
    runner_up = scores[1] if len(scores) > 1 else 0.0
    if scores[0] >= ANSWER_SCORE and scores[0] - runner_up >= ANSWER_MARGIN:
        return ANSWER
    return SUGGEST


class Searcher:
    """Search over titles, question variants and answers, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        by_locale: dict[str, list[Article]] = {}
        for article in kb:
            by_locale.setdefault(article.locale, []).append(article)
        # Building makes millions of small objects and no cycles: pausing the garbage collector
        # saves a tenth of the time, which matters for a big knowledge base at start-up.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._indexes = {
                locale: LocaleIndex(articles, locale) for locale, articles in by_locale.items()
            }
        finally:
            if collecting:
                gc.enable()
        self._public = {
            locale: [a.is_public for a in index.articles] for locale, index in self._indexes.items()
        }

    def search(
        self,
        query: str,
        *,
        language: str | None = None,
        audience: str = PUBLIC_AUDIENCE,
        limit: int = 3,
    ) -> SearchResult:
        """Rank articles for `query`; `language` is the customer's known one, used when unsure."""
        detected = detect_language(query) or language or self.kb.default_locale
        best: dict[str, tuple[float, Article]] = {}
        for locale in dict.fromkeys((detected, self.kb.default_locale)):
            index = self._indexes.get(locale)
            if index is None:
                continue
            allowed = self._public[locale] if audience == PUBLIC_AUDIENCE else None
            penalty = 1.0 if locale == detected else FALLBACK_PENALTY
            for article, score in index.search(query, allowed):
                score *= penalty
                if article.id not in best or score > best[article.id][0]:
                    best[article.id] = (score, article)
        ranked = sorted(best.values(), key=lambda pair: pair[0], reverse=True)
        decision = decide([score for score, _ in ranked])
        hits = tuple(
            Hit(self.kb.get(article.id, detected) or article, round(min(score, 1.0), 4))
            for score, article in ranked[:limit]
        )
        return SearchResult(query, detected, decision, hits)
