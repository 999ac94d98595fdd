"""Short texts grouped by the need behind them: threshold clustering over sentence vectors, or
over words when there is no sentence model.

The method, for vectors (unit length, cosine similarity):
0. Centring (`center`). A multilingual model's vectors carry their language: two German
   questions about different things are often closer than a German and an Italian one about
   the same thing; and all of e5's vectors share one large common part, so every cosine is
   between 0.7 and 0.95. Each language's offset (its mean less the mean of all languages,
   from the same everyday questions written in each: knowledge_base/gap_background.yaml) is
   taken away, then the mean of the questions (blended with the background's). On the dev
   set this took the adjusted Rand index from 0.39 to 0.64 (BENCHMARKS.md, "Knowledge
   gaps").
1. Every text's neighbours: the texts at least `threshold` similar, from the similarity matrix
   computed a block of rows at a time (one matrix product per block, so 10,000 texts never hold
   a 10,000 x 10,000 matrix at once).
2. Greedy centres: the text with the most (weighted) neighbours starts a group with all its
   neighbours not yet taken; then the next untaken text with the most, and so on. This is the
   "community detection" of sentence-transformers (its fast-clustering example), written here
   because that package needs torch, and keeping every group (a need asked once still is one).
3. Refinement, a few rounds: two groups holding neighbours of each other whose centroids are
   `threshold` similar are merged (one need reached from two centres, often from two
   languages), then each text moves to the group of a neighbour whose centroid it is most
   similar to, if that beats its own. Only groups of neighbours are compared, so a round costs
   as many dot products as there are neighbour pairs, not texts times groups.
Deterministic: ties go to the earlier text, and nothing is random.

For words (rapidfuzz), steps 1 and 2 are the same over a token-set ratio of the folded texts
less their function words, computed in blocks; there are no centroids, so no refinement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from threadpoolctl import threadpool_limits

from knowledge_base.stemming import FUNCTION_WORDS
from knowledge_base.text import fold

BLOCK = 1024  # rows of the similarity matrix at a time: 1024 x 10,000 floats is 40 MB
ROUNDS = 3  # refinement rounds; on the dev set a fourth changed nothing


def _unit(vectors: np.ndarray) -> np.ndarray:
    unit = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(unit, axis=1, keepdims=True)
    return unit / np.where(norms == 0, 1, norms)


def center(
    vectors: np.ndarray,
    languages: Sequence[str | None],
    offsets: Mapping[str, np.ndarray],
    prior_mean: np.ndarray,
    prior_weight: float,
) -> np.ndarray:
    """Unit vectors less their language's offset (`offsets`, from one set of questions in
    every language) and less the mean of them all, blended with `prior_mean` as if it were
    `prior_weight` more texts: a handful of questions is centred mostly on the prior, ten
    thousand on themselves."""
    unit = _unit(vectors)
    if len(unit) == 0:
        return unit
    shifted = unit - np.stack([offsets.get(str(language), np.zeros(unit.shape[1], np.float32))
                               for language in languages])  # fmt: skip
    mean = (shifted.sum(axis=0) + prior_weight * prior_mean) / (len(unit) + prior_weight)
    return _unit(shifted - mean)


class _Graph:
    """Who is a neighbour of whom (similarity at least the threshold), as sorted CSR arrays;
    every text is its own neighbour."""

    def __init__(self, n: int, rows: np.ndarray, cols: np.ndarray) -> None:
        # Blocks of rows come in order and np.nonzero lists each block row by row, so the pairs
        # are sorted already; only a row missing itself (a zero vector) needs adding and a sort.
        present = np.zeros(n, dtype=bool)
        present[rows[rows == cols]] = True
        if not present.all():
            missing = np.flatnonzero(~present)
            rows, cols = np.concatenate([rows, missing]), np.concatenate([cols, missing])
            order = np.lexsort((cols, rows))
            rows, cols = rows[order], cols[order]
        self.rows, self.cols = rows, cols
        self.starts = np.searchsorted(self.rows, np.arange(n + 1))

    def of(self, index: int) -> np.ndarray:
        return self.cols[self.starts[index] : self.starts[index + 1]]


def _greedy(graph: _Graph, weights: np.ndarray) -> np.ndarray:
    """Group labels: centres by the weight of their neighbours, most first, ties to the
    earlier text; a centre takes its neighbours not yet taken."""
    n = len(weights)
    degree = np.bincount(graph.rows, weights=weights[graph.cols], minlength=n)
    labels = np.full(n, -1, dtype=np.int64)
    group = 0
    for centre in np.argsort(-degree, kind="stable"):
        if labels[centre] >= 0:
            continue
        near = graph.of(centre)
        labels[near[labels[near] < 0]] = group
        group += 1
    return labels


def _compact(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    return order[inverse]


def _centroids(unit: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each group's weighted mean direction, by label (labels are 0..k-1, all used)."""
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(int(labels.max()) + 1))
    weighted = unit[order] * weights[order, None].astype(np.float32)
    return _unit(np.add.reduceat(weighted, starts, axis=0))


def _best_per_row(rows: np.ndarray, groups: np.ndarray, sims: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """For each row, its most similar group (ties to the lower label) and that similarity."""
    order = np.lexsort((groups, -sims, rows))
    first = np.ones(len(order), dtype=bool)
    first[1:] = rows[order][1:] != rows[order][:-1]
    chosen = order[first]
    return rows[chosen], groups[chosen], sims[chosen]


def _merge(graph: _Graph, labels: np.ndarray, centroids: np.ndarray,
           threshold: float) -> np.ndarray:  # fmt: skip
    """Labels with groups joined whose centroids are `threshold` similar, among groups that
    hold neighbours: the most similar pair first, each group merged once a round (no chains)."""
    a, b = labels[graph.rows], labels[graph.cols]
    across = a < b
    if not across.any():
        return labels
    k = len(centroids)
    keys = np.unique(a[across] * k + b[across])
    pairs = np.stack([keys // k, keys % k], axis=1)
    sims = np.einsum("ij,ij->i", centroids[pairs[:, 0]], centroids[pairs[:, 1]])
    close = sims >= threshold
    pairs, sims = pairs[close], sims[close]
    target = np.arange(k)
    taken = np.zeros(k, dtype=bool)
    for i in np.lexsort((pairs[:, 1], pairs[:, 0], -sims)):
        first, second = pairs[i]
        if not taken[first] and not taken[second]:
            target[second] = first
            taken[first] = taken[second] = True
    return target[labels]


def _reassign(graph: _Graph, unit: np.ndarray, labels: np.ndarray, centroids: np.ndarray,
              threshold: float) -> np.ndarray:  # fmt: skip
    """Each text moved to the group (of its neighbours') whose centroid it is closest to, if
    that beats its own group's and reaches `threshold`."""
    # Each (text, group) once: most of a text's neighbours share a group. Its own group is
    # among them, since a text is its own neighbour.
    keys = np.unique(graph.rows * len(centroids) + labels[graph.cols])
    rows, groups = keys // len(centroids), keys % len(centroids)
    sims = np.einsum("ij,ij->i", unit[rows], centroids[groups])
    best_rows, best_groups, best_sims = _best_per_row(rows, groups, sims)
    own = np.einsum("ij,ij->i", unit[best_rows], centroids[labels[best_rows]])
    move = (best_sims > own) & (best_sims >= threshold)
    moved = labels.copy()
    moved[best_rows[move]] = best_groups[move]
    return moved


def _refine(graph: _Graph, unit: np.ndarray, weights: np.ndarray, labels: np.ndarray,
            threshold: float) -> np.ndarray:  # fmt: skip
    for _ in range(ROUNDS):
        before = labels
        labels = _compact(_merge(graph, labels, _centroids(unit, weights, labels), threshold))
        labels = _compact(_reassign(graph, unit, labels, _centroids(unit, weights, labels),
                                    threshold))  # fmt: skip
        if np.array_equal(before, labels):
            break
    return labels


def group_vectors(
    vectors: np.ndarray,
    threshold: float,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    threads: int = 1,
    refine: bool = True,
) -> np.ndarray:
    """A group label (0..k-1, in order of first appearance) per row of `vectors`: rows at
    least `threshold` cosine-similar to a group's centre or centroid share it."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    weight = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    with threadpool_limits(limits=threads, user_api="blas"):
        unit = _unit(vectors)
        rows, cols = [], []
        for start in range(0, n, BLOCK):
            block_rows, block_cols = np.nonzero(unit[start : start + BLOCK] @ unit.T >= threshold)
            rows.append(block_rows + start)
            cols.append(block_cols)
        graph = _Graph(n, np.concatenate(rows), np.concatenate(cols))
        labels = _compact(_greedy(graph, weight))
        return _refine(graph, unit, weight, labels, threshold) if refine else labels


def content_words(text: str) -> str:
    """The folded text without its function words ("how", "do", "i", "ich", "czy"...): the
    words that say what is asked. A text of function words only keeps them all."""
    folded = fold(text)
    kept = [word for word in folded.split() if word not in FUNCTION_WORDS]
    return " ".join(kept) if kept else folded


def group_words(
    texts: Sequence[str],
    threshold: float,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    threads: int = 1,
) -> np.ndarray:
    """Group labels as `group_vectors` gives, from word similarity alone (no sentence model):
    texts at least `threshold` (0..1) alike to a group's centre share it."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    weight = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    folded = [content_words(text) for text in texts]
    cutoff = round(threshold * 100)
    rows, cols = [], []
    for start in range(0, n, BLOCK):
        scores = process.cdist(folded[start : start + BLOCK], folded,
                               scorer=fuzz.token_set_ratio, score_cutoff=cutoff,
                               dtype=np.uint8, workers=threads)  # fmt: skip
        block_rows, block_cols = np.nonzero(scores >= max(cutoff, 1))
        rows.append(block_rows + start)
        cols.append(block_cols)
    return _compact(_greedy(_Graph(n, np.concatenate(rows), np.concatenate(cols)), weight))
