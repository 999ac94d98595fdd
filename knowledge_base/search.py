"""Search the knowledge base: ranked hits with a score in [0, 1] and a decision.

The decision is what the customer sees: `answer` (one confident article), `suggest` (up to three
to pick from) or `none` (say so and offer a person). A wrong answer loses a sale, so `answer`
needs both a high score and a clear lead over the runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge_base.articles import Article, KnowledgeBase
from knowledge_base.language import _FUNCTION_WORDS, detect_language
from knowledge_base.text import fold

ANSWER = "answer"
SUGGEST = "suggest"
NONE = "none"

PUBLIC_AUDIENCE = "public"
AGENT_AUDIENCE = "agent"

# Tuned on the bundled knowledge base; benchmarks/kb_retrieval.py measures them.
ANSWER_SCORE = 0.82
ANSWER_MARGIN = 0.05
SUGGEST_SCORE = 0.6
# A fallback-locale article must beat one in the customer's language by this much.
FALLBACK_PENALTY = 0.97

_STOPWORDS = frozenset().union(*_FUNCTION_WORDS.values())


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
    decision: str
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def content_words(text: str) -> str:
    """Folded text without function words, which make unrelated questions look alike."""
    kept = [w for w in fold(text).split() if w not in _STOPWORDS]
    return " ".join(kept) if kept else fold(text)


class Searcher:
    """Fuzzy search over titles and question variants, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._articles: list[Article] = list(kb)
        self._texts: list[str] = []
        self._owner: list[int] = []
        for index, article in enumerate(self._articles):
            for text in (article.title, *article.questions):
                self._texts.append(content_words(text))
                self._owner.append(index)

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
        wanted = content_words(query)
        best: dict[str, tuple[float, Article]] = {}
        if wanted:
            matches = process.extract(
                wanted, self._texts, scorer=fuzz.WRatio, limit=max(50, limit * 10)
            )
            for _, raw_score, position in matches:
                article = self._articles[self._owner[position]]
                if audience == PUBLIC_AUDIENCE and not article.is_public:
                    continue
                if article.locale not in (detected, self.kb.default_locale):
                    continue
                score = raw_score / 100.0
                if article.locale != detected:
                    score *= FALLBACK_PENALTY
                kept = best.get(article.id)
                if kept is None or score > kept[0]:
                    best[article.id] = (score, article)
        ranked = sorted(best.values(), key=lambda pair: pair[0], reverse=True)
        hits = tuple(Hit(self._localised(a, detected), round(s, 4)) for s, a in ranked[:limit])
        return SearchResult(query, detected, self._decide(hits), hits)

    def _localised(self, article: Article, language: str) -> Article:
        return self.kb.get(article.id, language) or article

    @staticmethod
    def _decide(hits: tuple[Hit, ...]) -> str:
        if not hits or hits[0].score < SUGGEST_SCORE:
            return NONE
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        if hits[0].score >= ANSWER_SCORE and hits[0].score - runner_up >= ANSWER_MARGIN:
            return ANSWER
        return SUGGEST
