"""The search index of one locale: BM25 for candidates, then exact re-ranking of the best few.

Stage 1 walks an inverted index (plain dicts of arrays) with BM25 over two term families: word
stems and character 4-grams. In a large index, terms found in most articles are left out of this
walk: they carry little information and their long posting lists would cost most of the time.
Stage 2 scores the best candidates exactly (the skipped common terms included) and adds what the
article's title and questions look like from the query: the cosine with the article's centroid
(what its phrasings share), the best cosine with any single phrasing, and rapidfuzz ratios on
the whole folded text, which see word order and typos. Every part is in [0, 1], so their
weighted mean is an absolute score that the caller can threshold: an unrelated question matches
few of its own terms anywhere and scores low.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass

from rapidfuzz import fuzz

from knowledge_base.articles import Article
from knowledge_base.spelling import Vocabulary
from knowledge_base.stemming import Analyzer, char_ngrams

# BM25's usual constants.
K1 = 1.2
B = 0.75
# The answer is long and written for people, not searches: its words count for half.
ANSWER_WEIGHT = 0.5
# In an index of at least MIN_ARTICLES, stage 1 skips terms in more than MAX_DF of the articles.
MAX_DF = 0.3
MIN_ARTICLES = 500
CANDIDATES = 30


@dataclass(frozen=True)
class Weights:
    """How much each score part counts; tuned on Banking77 (seed 1) and Bitext dev."""

    bm25_stems: float = 0.5
    bm25_ngrams: float = 0.8
    centroid: float = 0.8
    best_phrasing: float = 0.5
    fuzzy_sorted: float = 0.8
    fuzzy_plain: float = 0.5


WEIGHTS = Weights()


class _Bm25:
    """One family of terms: an inverted index with precomputed BM25 weights."""

    def __init__(self, docs: list[Counter[str]]) -> None:
        count = len(docs)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        self.idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        # A term never seen is as rare as a term can be.
        self.unknown_idf = math.log(1 + (count + 0.5) / 0.5)
        big = count >= MIN_ARTICLES
        self.common = {t for t, n in df.items() if n > count * MAX_DF} if big else set()
        lengths = [sum(doc.values()) for doc in docs]
        average = (sum(lengths) / count) if count else 1.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        # Each article's weights for the common terms, to add them exactly to the candidates.
        self.common_weights: list[dict[str, float]] = []
        idf, common = self.idf, self.common
        for position, (doc, length) in enumerate(zip(docs, lengths, strict=True)):
            norm = K1 * (1 - B + B * length / (average or 1.0))
            mine: dict[str, float] = {}
            for term, tf in doc.items():
                weight = idf[term] * tf * (K1 + 1) / (tf + norm)
                if term in common:
                    mine[term] = weight
                posting = postings.get(term)
                if posting is None:
                    posting = postings[term] = ([], [])
                posting[0].append(position)
                posting[1].append(weight)
            self.common_weights.append(mine)
        # Arrays take a fraction of the memory of lists of Python ints and floats.
        self.postings = {t: (array("i", ids), array("f", ws)) for t, (ids, ws) in postings.items()}

    def first_pass(self, query: Counter[str]) -> tuple[dict[int, float], float, list[str]]:
        """BM25 of the query's rarer terms per article, the score of a perfect match (every
        term saturated, so score / ceiling is in [0, 1]), and the common terms left out."""
        totals: dict[int, float] = {}
        ceiling = 0.0
        skipped: list[str] = []
        for term, count in query.items():
            ceiling += count * self.idf.get(term, self.unknown_idf) * (K1 + 1)
            if term in self.common:
                skipped.append(term)
            else:
                self._walk(term, count, totals)
        if not totals:  # only common words: they must name the candidates, however slowly
            for term in skipped:
                self._walk(term, query[term], totals)
            skipped = []
        return totals, ceiling, skipped

    def _walk(self, term: str, count: int, totals: dict[int, float]) -> None:
        posting = self.postings.get(term)
        if posting is None:
            return
        get = totals.get
        for position, weight in zip(*posting, strict=True):
            totals[position] = get(position, 0.0) + count * weight

    def rest(self, position: int, query: Counter[str], skipped: list[str]) -> float:
        """What the skipped common terms add to one article's BM25."""
        mine = self.common_weights[position]
        return sum(query[term] * mine.get(term, 0.0) for term in skipped)


def _unit(counts: Counter[str], idf: dict[str, float], default: float) -> dict[str, float]:
    vector = {t: (1 + math.log(c)) * idf.get(t, default) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


class LocaleIndex:
    """Searchable articles of one locale, each analysed with that locale's stemmer."""

    def __init__(self, articles: Sequence[Article], locale: str) -> None:
        self.articles = list(articles)
        self.analyzer = Analyzer(locale)
        self.vocabulary = Vocabulary()
        stem_docs: list[Counter[str]] = []
        ngram_docs: list[Counter[str]] = []
        phrasing_stems: list[list[Counter[str]]] = []
        self._phrasings: list[list[str]] = []  # folded title and questions
        self._sorted: list[list[str]] = []  # the same with words sorted, for token_sort_ratio
        for article in self.articles:
            stems: list[str] = []
            words: list[str] = []
            per_phrasing: list[Counter[str]] = []
            texts: list[str] = []
            for text in (article.title, *article.questions):
                folded, stemmed = self.analyzer.analyze(text)
                self.vocabulary.add(folded, stemmed)
                per_phrasing.append(Counter(stemmed))
                stems += stemmed
                words += folded
                texts.append(" ".join(folded))
            stem_doc = Counter(stems)
            folded, stemmed = self.analyzer.analyze(article.answer)
            self.vocabulary.add(folded, stemmed)
            for stem, count in Counter(stemmed).items():
                stem_doc[stem] += ANSWER_WEIGHT * count
            stem_docs.append(stem_doc)
            # The answer's n-grams are left out: no better on the benchmarks, and many postings.
            ngram_docs.append(char_ngrams(words))
            phrasing_stems.append(per_phrasing)
            self._phrasings.append(texts)
            self._sorted.append([" ".join(sorted(t.split())) for t in texts])
        self.vocabulary.freeze()
        self._stems = _Bm25(stem_docs)
        self._ngrams = _Bm25(ngram_docs)
        # Cosines weigh words by rarity across articles, so one article's shared words count.
        count = len(self.articles)
        df: Counter[str] = Counter()
        for phrasings in phrasing_stems:
            df.update({t for p in phrasings for t in p})
        self._idf = {t: math.log(1 + count / n) for t, n in df.items()}
        self._unknown_idf = math.log(1 + count)
        self._vectors: list[list[dict[str, float]]] = []
        self._centroids: list[dict[str, float]] = []
        for phrasings in phrasing_stems:
            vectors = [_unit(p, self._idf, self._unknown_idf) for p in phrasings]
            centroid: Counter[str] = Counter()
            for vector in vectors:
                centroid.update(vector)
            norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
            self._vectors.append(vectors)
            self._centroids.append({t: v / norm for t, v in centroid.items()})

    def parts(
        self, query: str, allowed: Sequence[bool] | None = None, depth: int = CANDIDATES
    ) -> list[tuple[int, tuple[float, ...]]]:
        """Each candidate's position and its score parts, in the order of `Weights`."""
        folded, stems = self.analyzer.analyze(query)
        if not folded:
            return []
        for position, word in enumerate(folded):
            correction = self.vocabulary.correct(word)
            if correction is not None:
                folded[position], stems[position] = correction
        stem_query, ngram_query = Counter(stems), char_ngrams(folded)
        by_stems, stem_ceiling, stems_skipped = self._stems.first_pass(stem_query)
        by_ngrams, ngram_ceiling, ngrams_skipped = self._ngrams.first_pass(ngram_query)
        first = dict(by_ngrams)
        for position, score in by_stems.items():
            first[position] = first.get(position, 0.0) + score
        if allowed is not None:
            first = {p: s for p, s in first.items() if allowed[p]}
        best = sorted(first, key=first.__getitem__, reverse=True)[:depth]
        vector = _unit(stem_query, self._idf, self._unknown_idf)
        text, ordered = " ".join(folded), " ".join(sorted(folded))
        result = []
        for position in best:
            stem_score = by_stems.get(position, 0.0)
            stem_score += self._stems.rest(position, stem_query, stems_skipped)
            ngram_score = by_ngrams.get(position, 0.0)
            ngram_score += self._ngrams.rest(position, ngram_query, ngrams_skipped)
            parts = (
                min(1.0, stem_score / stem_ceiling) if stem_ceiling else 0.0,
                min(1.0, ngram_score / ngram_ceiling) if ngram_ceiling else 0.0,
                _dot(vector, self._centroids[position]),
                max((_dot(vector, v) for v in self._vectors[position]), default=0.0),
                max(fuzz.ratio(ordered, t) for t in self._sorted[position]) / 100,
                max(fuzz.ratio(text, t) for t in self._phrasings[position]) / 100,
            )
            result.append((position, parts))
        return result

    def search(
        self, query: str, allowed: Sequence[bool] | None = None, weights: Weights = WEIGHTS
    ) -> list[tuple[Article, float]]:
        """Candidates best first, each with its score in [0, 1]."""
        factors = astuple(weights)
        total = sum(factors) or 1.0
        scored = [
            (self.articles[position], sum(f * p for f, p in zip(factors, parts, strict=True)) / total)
            for position, parts in self.parts(query, allowed)
        ]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored
