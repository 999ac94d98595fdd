"""The search index of one locale: BM25 for candidates, then exact re-ranking of the best few.

Stage 1 walks an inverted index (plain dicts of arrays) with BM25 over two term families: word
stems (title and questions, plus the answer at half weight) and character 4-grams (title and
questions). In a large index, terms found in most articles are left out of this walk: they carry
little information and their long posting lists would cost most of the time.
Stage 2 scores the best 30 candidates exactly (the skipped common terms included) and adds what
the article's title and questions look like from the query: the cosine with the article's
centroid (what its phrasings share), the best cosine with any single phrasing, and rapidfuzz
ratios on the whole folded text, plain and with words sorted, which see word order and typos.
Each part is in [0, 1] (BM25 divided by what a perfect match would score), so their weighted
mean is an absolute score that the caller can threshold: an unrelated question matches few of
its own terms anywhere and scores low, however the articles compare with each other.
Measured on Banking77 and Bitext, each part adds half a point to a point of top-1 accuracy.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import astuple, dataclass

from rapidfuzz import fuzz, process

from knowledge_base.articles import Article
from knowledge_base.spelling import Respeller, Vocabulary
from knowledge_base.stemming import Analyzer, char_ngrams

# BM25's usual constants.
K1 = 1.2
B = 0.75
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
        self.size = count = len(docs)
        lengths = [sum(doc.values()) for doc in docs]
        average = (sum(lengths) / count) if count else 1.0
        norms = [K1 * (1 - B + B * length / (average or 1.0)) for length in lengths]
        # Gather each term's articles and frequencies first, then weigh a whole list at a time:
        # twice as fast as weighing posting by posting, and building is most of the start-up.
        ids_of: defaultdict[str, list[int]] = defaultdict(list)
        tfs_of: defaultdict[str, list[float]] = defaultdict(list)
        for position, doc in enumerate(docs):
            for term, tf in doc.items():
                ids_of[term].append(position)
                tfs_of[term].append(tf)
        # A term never seen is as rare as a term can be.
        self.unknown_idf = math.log(1 + (count + 0.5) / 0.5)
        self.idf: dict[str, float] = {}
        self.postings: dict[str, tuple[array, array]] = {}
        self.common: set[str] = set()
        for term, ids in ids_of.items():
            df = len(ids)
            idf = self.idf[term] = math.log(1 + (count - df + 0.5) / (df + 0.5))
            weights = [
                idf * tf * (K1 + 1) / (tf + norms[p])
                for p, tf in zip(ids, tfs_of[term], strict=True)
            ]
            # Arrays take a fraction of the memory of lists of Python ints and floats.
            self.postings[term] = (array("i", ids), array("f", weights))
            if count >= MIN_ARTICLES and df > count * MAX_DF:
                self.common.add(term)
        # Each article's weights for the common terms, to add them exactly to the candidates.
        self.common_weights: list[dict[str, float]] = [{} for _ in docs]
        for term in self.common:
            for position, weight in zip(*self.postings[term], strict=True):
                self.common_weights[position][term] = weight

    def first_pass(self, query: Counter[str]) -> tuple[list[float], float, set[str]]:
        """BM25 per article of the query's rarer terms, the score of a perfect match (every
        term saturated, so score / ceiling is in [0, 1]), and the common terms left out."""
        # A list indexed by article beats a dict here: no hashing, and += in place.
        totals = [0.0] * self.size
        ceiling = 0.0
        skipped: set[str] = set()
        walked = False
        for term, count in query.items():
            ceiling += count * self.idf.get(term, self.unknown_idf) * (K1 + 1)
            if term in self.common:
                skipped.add(term)
            else:
                walked = self._walk(term, count, totals) or walked
        if not walked:  # only common words: they must name the candidates, however slowly
            for term in skipped:
                self._walk(term, query[term], totals)
            skipped = set()
        return totals, ceiling, skipped

    def _walk(self, term: str, count: int, totals: list[float]) -> bool:
        posting = self.postings.get(term)
        if posting is None:
            return False
        if count == 1:
            for position, weight in zip(*posting, strict=True):
                totals[position] += weight
        else:
            for position, weight in zip(*posting, strict=True):
                totals[position] += count * weight
        return True

    def rest(self, position: int, query: Counter[str], skipped: set[str]) -> float:
        """What the skipped common terms add to one article's BM25."""
        mine = self.common_weights[position]
        return sum(query[term] * mine[term] for term in mine.keys() & skipped)


def _unit(stems: list[str], idf: dict[str, float], default: float) -> dict[str, float]:
    """TF-IDF vector of unit length, with sublinear term frequency."""
    vector = {t: idf.get(t, default) for t in stems}
    if len(vector) < len(stems):  # a repeated word counts 1 + log(count) times
        for term, count in Counter(stems).items():
            if count > 1:
                vector[term] *= 1 + math.log(count)
    norm = math.hypot(*vector.values()) or 1.0
    return {t: v / norm for t, v in vector.items()}


def _stem_doc(
    phrasings: list[tuple[list[str], list[str]]], answer: tuple[list[str], list[str]]
) -> Counter[str]:
    # Title and questions count twice, so the answer, long and written for people rather than
    # for searches, weighs half as much; one Counter call keeps the build fast.
    stems = [stem for _, stems in phrasings for stem in stems]
    return Counter(stems + stems + answer[1])


def _centroid(vectors: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for vector in vectors:
        for term, value in vector.items():
            total[term] = total.get(term, 0.0) + value
    norm = math.hypot(*total.values()) or 1.0
    return {t: v / norm for t, v in total.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    # Most pairs share no word or one: intersecting the keys in C first is the fast way.
    return sum(a[t] * b[t] for t in a.keys() & b.keys())


def _best_ratio(text: str, choices: list[str]) -> float:
    # One call to rapidfuzz's C loop over the phrasings instead of one Python call per phrasing.
    best = process.extractOne(text, choices, scorer=fuzz.ratio)
    return best[1] / 100 if best else 0.0


class LocaleIndex:
    """Searchable articles of one locale, each analysed with that locale's stemmer."""

    def __init__(self, articles: Sequence[Article], locale: str) -> None:
        self.articles = list(articles)
        self.analyzer = Analyzer(locale)
        analyse = self.analyzer.analyze
        # Per article: (folded words, stems) of the title and each question, then of the answer.
        phrasings = [[analyse(t) for t in (a.title, *a.questions)] for a in self.articles]
        answers = [analyse(a.answer) for a in self.articles]
        # Tags are keywords a writer chose for the article: searched like its questions.
        tags = [analyse(" ".join(a.tags)) for a in self.articles]
        self.vocabulary = Vocabulary([*(p for ps in phrasings for p in ps), *answers, *tags])
        # Read off the analyser now, while it has learnt the articles' words and no query's.
        self.respeller = Respeller(self.vocabulary, self.analyzer.surfaces())
        self._stems = _Bm25(
            [
                _stem_doc([*ps, tag], answer)
                for ps, answer, tag in zip(phrasings, answers, tags, strict=True)
            ]
        )
        # The answer's n-grams are left out: no better on the benchmarks, and many postings.
        self._ngrams = _Bm25(
            [
                char_ngrams([w for words, _ in (*ps, tag) for w in words])
                for ps, tag in zip(phrasings, tags, strict=True)
            ]
        )
        self._texts = [[" ".join(words) for words, _ in ps] for ps in phrasings]
        self._sorted = [[" ".join(sorted(words)) for words, _ in ps] for ps in phrasings]
        # Cosines weigh stems by rarity across articles, so what one article's phrasings share
        # stands out in its centroid.
        count = len(self.articles)
        df: Counter[str] = Counter()
        for ps in phrasings:
            df.update({stem for _, stems in ps for stem in stems})
        self._idf = {t: math.log(1 + count / n) for t, n in df.items()}
        self._unknown_idf = math.log(1 + count)
        self._vectors = [
            [_unit(stems, self._idf, self._unknown_idf) for _, stems in ps] for ps in phrasings
        ]
        self._centroids = [_centroid(vectors) for vectors in self._vectors]

    def parts(
        self,
        query: str,
        allowed: Sequence[bool] | None = None,
        depth: int = CANDIDATES,
        extra: Sequence[int] = (),
    ) -> list[tuple[int, tuple[float, ...]]]:
        """Each candidate's position and its score parts, in the order of `Weights`; `extra`
        positions (candidates found another way) are scored too."""
        folded, stems = self.analyzer.analyze(query)
        if not folded:
            return []
        for position, word in enumerate(folded):
            correction = self.vocabulary.correct(word)
            if correction is not None:
                folded[position], stems[position] = correction
        text, ordered = " ".join(folded), " ".join(sorted(folded))
        # Joined words count in addition to their parts: articles may write both forms.
        joined = self.vocabulary.compounds(folded)
        stems += [stem for _, stem in joined]
        stem_query, ngram_query = Counter(stems), char_ngrams(folded + [w for w, _ in joined])
        by_stems, stem_ceiling, stems_skipped = self._stems.first_pass(stem_query)
        by_ngrams, ngram_ceiling, ngrams_skipped = self._ngrams.first_pass(ngram_query)
        stem_scale = 1 / stem_ceiling if stem_ceiling else 0.0
        ngram_scale = 1 / ngram_ceiling if ngram_ceiling else 0.0
        first = [s * stem_scale + n * ngram_scale for s, n in zip(by_stems, by_ngrams, strict=True)]
        found = (
            p for p, score in enumerate(first) if score > 0 and (allowed is None or allowed[p])
        )
        best = heapq.nlargest(depth, found, key=first.__getitem__)
        seen = set(best)
        best += [p for p in dict.fromkeys(extra) if p not in seen]
        vector = _unit(stems, self._idf, self._unknown_idf)
        result = []
        for position in best:
            stem_score = by_stems[position] + self._stems.rest(position, stem_query, stems_skipped)
            ngram_score = by_ngrams[position] + self._ngrams.rest(
                position, ngram_query, ngrams_skipped
            )
            parts = (
                min(1.0, stem_score * stem_scale),
                min(1.0, ngram_score * ngram_scale),
                _dot(vector, self._centroids[position]),
                max((_dot(vector, v) for v in self._vectors[position]), default=0.0),
                _best_ratio(ordered, self._sorted[position]),
                _best_ratio(text, self._texts[position]),
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
            (
                self.articles[position],
                sum(f * p for f, p in zip(factors, parts, strict=True)) / total,
            )
            for position, parts in self.parts(query, allowed)
        ]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored
