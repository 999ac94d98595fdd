"""Ranking and decisions of words alone, meaning alone and both fused, on held-out halves.

For each data set and method: top-1/top-3 on the test half's answerable queries; thresholds
calibrated on the dev half (knowledge_base.calibration, precision >= 0.95) and their coverage,
precision and out-of-scope answers on test; the same for the thresholds the product ships
with; and, on the multilingual set, whether the answer comes in the query's language.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import product

import numpy as np

from benchmarks.kbbench.tasks import DecisionTask, Query
from knowledge_base import Searcher
from knowledge_base.calibration import (
    Labelled,
    Outcome,
    evaluate,
    outcomes,
    suggest_floor,
    sweep,
    top1,
)
from knowledge_base.embedding import Embedder
from knowledge_base.language import detect_language
from knowledge_base.search import ANSWER, NONE, SUGGEST, Fusion, SearchResult
from knowledge_base.semantic import VectorMemo

TARGET = 0.95


class QueryMemo(VectorMemo):
    """Benchmark only: the same query is searched by several methods, embed it once."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__(embedder)
        self._queries: dict[str, np.ndarray] = {}

    def forget_queries(self) -> None:
        """So the next timed run pays for embedding its queries, as the product does."""
        self._queries.clear()

    def query(self, text: str) -> np.ndarray:
        if text not in self._queries:
            self._queries[text] = super().query(text)
        return self._queries[text]


@dataclass
class Method:
    name: str
    searcher: Searcher


def methods(task: DecisionTask, memo: QueryMemo | None) -> list[Method]:
    found = [Method("words (lexical)", Searcher(task.kb))]
    if memo is None:
        return found
    fused = Searcher(task.kb, memo)
    meaning = Searcher(task.kb, memo)
    assert fused.fusion is not None
    meaning.fusion = replace(fused.fusion, semantic_weight=1.0)
    return [*found, Method(f"meaning ({memo.id})", meaning), Method("fused (shipped)", fused)]


def labelled(queries: Sequence[Query]) -> list[Labelled]:
    return [Labelled(q.text, q.expected_id) for q in queries]


def searched(searcher: Searcher, queries: Sequence[Query]) -> tuple[list[Outcome], list[float]]:
    results: list[SearchResult] = []
    times: list[float] = []

    def search(text: str) -> SearchResult:
        start = time.perf_counter()
        result = searcher.search(text)
        times.append((time.perf_counter() - start) * 1000)
        results.append(result)
        return result

    return outcomes(search, labelled(queries)), times


def top3(found: Sequence[Outcome]) -> float:
    answerable = [o for o in found if o.expected_id is not None]
    return sum(o.expected_id in o.top3 for o in answerable) / len(answerable)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


Ranker = Callable[[str], list[str]]


def report(
    task: DecisionTask, memo: QueryMemo | None, baselines: Sequence[tuple[str, Ranker]] = ()
) -> Iterator[str]:
    answerable = sum(q.expected_id is not None for q in task.test)
    yield (
        f"{task.name}: {task.note}; dev {len(task.dev)} queries, test {len(task.test)} "
        f"({answerable} answerable, {len(task.test) - answerable} out of scope)"
    )
    yield (
        f"  {'method':<44} {'top-1':>6} {'top-3':>6} | {'shipped thresholds: cover':>26} "
        f"{'prec':>5} {'OOS':>5} | {'dev-calibrated: cover':>22} {'prec':>5} {'OOS':>5} "
        f"{'p50 ms':>7} {'p99 ms':>7}"
    )
    for method in methods(task, memo):
        dev, _ = searched(method.searcher, task.dev)
        if memo is not None:
            memo.forget_queries()
        test, times = searched(method.searcher, task.test)
        shipped = evaluate(test, method.searcher.thresholds)
        _, chosen = sweep(dev, TARGET)
        calibrated = evaluate(test, chosen.thresholds) if chosen else None
        cal = (
            f"{calibrated.coverage:>22.1%} {calibrated.precision:>5.3f} "
            f"{calibrated.out_of_scope_answered:>5.1%}"
            if calibrated
            else f"{'no point holds ' + str(TARGET):>34}"
        )
        yield (
            f"  {method.name:<44} {top1(test):>6.3f} {top3(test):>6.3f} | "
            f"{shipped.coverage:>26.1%} {shipped.precision:>5.3f} "
            f"{shipped.out_of_scope_answered:>5.1%} | {cal} "
            f"{quantile(times, 0.5):>7.2f} {quantile(times, 0.99):>7.2f}"
        )
        if chosen:
            t = chosen.thresholds
            yield (
                f"  {'':<44} dev-calibrated: answer >= {t.answer_score:.2f}, margin >= "
                f"{t.answer_margin:.2f}, suggest >= {t.suggest_score:.2f}"
            )
    for name, rank in baselines:
        found = [(rank(q.text), q.expected_id) for q in task.test if q.expected_id is not None]
        first = sum(bool(ids) and ids[0] == e for ids, e in found) / len(found)
        third = sum(e in ids[:3] for ids, e in found) / len(found)
        yield f"  {name:<44} {first:>6.3f} {third:>6.3f} | (ranks only, no decision)"
    if task.missing:
        yield from languages(task, memo)


def languages(task: DecisionTask, memo: QueryMemo | None) -> Iterator[str]:
    """On the test half: language told right, and the answer in the query's language where
    the article has that translation (else in the default locale)."""
    searcher = Searcher(task.kb, memo) if memo else Searcher(task.kb)
    told = words_told = in_language = answered = 0
    decisions: Counter[str] = Counter()
    for q in task.test:
        result = searcher.search(q.text)
        told += result.language == q.language
        words_told += detect_language(q.text) == q.language
        decisions[result.decision] += 1
        if q.expected_id is None or result.decision != ANSWER or result.best is None:
            continue
        answered += 1
        wanted = task.kb.default_locale if q.expected_id in task.missing[q.language] else q.language
        in_language += result.best.article.locale == wanted
    n = len(task.test)
    yield (
        f"  language of the query told right: {told / n:.1%} (py3langid + function words); "
        f"function words alone {words_told / n:.1%}; answers in the query's language (or the "
        f"default one where the article lacks it): {in_language / max(1, answered):.1%} of "
        f"{answered}"
    )
    yield (
        f"  shipped decisions on test: answer {decisions[ANSWER] / n:.1%}, suggest "
        f"{decisions[SUGGEST] / n:.1%}, none {decisions[NONE] / n:.1%}"
    )


def tune(tasks: Sequence[DecisionTask], memo: QueryMemo) -> Iterator[str]:
    """Dev halves only: fusion weight and cosine floor, by mean top-1 and by coverage at the
    target precision. The figures the shipped constants were chosen from."""
    weights, floors = (0.3, 0.4, 0.5, 0.6), (0.7, 0.75, 0.78, 0.8, 0.82)
    yield "Tuning on the dev halves (mean over the data sets): semantic weight x cosine floor"
    yield f"  {'weight':>6} {'floor':>6} {'top-1':>6} {'cover@' + str(TARGET):>11}"
    searchers = [Searcher(task.kb, memo) for task in tasks]
    best: tuple[float, float, float] | None = None
    for weight, floor in product(weights, floors):
        tops, covers = [], []
        for task, searcher in zip(tasks, searchers, strict=True):
            assert searcher.fusion is not None
            searcher.fusion = Fusion(weight, floor, searcher.fusion.ceiling)
            dev, _ = searched(searcher, task.dev)
            tops.append(top1(dev))
            _, chosen = sweep(dev, TARGET)
            covers.append(chosen.coverage if chosen else 0.0)
        yield (
            f"  {weight:>6.2f} {floor:>6.2f} {sum(tops) / len(tops):>6.3f} "
            f"{sum(covers) / len(covers):>11.1%}"
        )
        score = sum(covers) / len(covers) + sum(tops) / len(tops)
        if best is None or score > best[0]:
            best = (score, weight, floor)
    if best is None:
        return
    for searcher in searchers:
        assert searcher.fusion is not None
        searcher.fusion = Fusion(best[1], best[2], searcher.fusion.ceiling)
    yield f"  chosen: weight {best[1]}, floor {best[2]} (best top-1 + coverage)"
    yield from joint(tasks, searchers)


def joint(tasks: Sequence[DecisionTask], searchers: Sequence[Searcher]) -> Iterator[str]:
    """One set of thresholds for every data set: precision >= target on each dev half, the
    most mean coverage. What FUSED ships with."""
    devs = [searched(s, t.dev)[0] for s, t in zip(searchers, tasks, strict=True)]
    grids = [sweep(dev, TARGET)[0] for dev in devs]
    best = None
    for points in zip(*grids, strict=True):
        if min(p.precision for p in points) < TARGET:
            continue
        coverage = sum(p.coverage for p in points) / len(points)
        if best is None or coverage > best[0]:
            best = (coverage, points)
    if best is None:
        yield f"  no thresholds hold precision {TARGET} on every dev half"
        return
    t = best[1][0].thresholds
    floors = [suggest_floor(dev, t.answer_score) for dev in devs]
    yield (
        f"  joint thresholds on dev: answer >= {t.answer_score:.2f}, margin >= "
        f"{t.answer_margin:.2f} (mean coverage {best[0]:.1%}; per set "
        + ", ".join(
            f"{p.coverage:.1%} at {p.precision:.3f}, OOS {p.out_of_scope_answered:.1%}"
            for p in best[1]
        )
        + f"); suggest floors per set {floors}"
    )
