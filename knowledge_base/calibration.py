"""Thresholds from labelled questions: how much can be answered at a given precision.

A company labels questions its customers ask with the article that answers each (or none, for
questions the knowledge base does not cover). Each is searched once; then every pair of answer
floor and margin in a grid is scored by arithmetic alone: coverage (the share of answerable
questions answered, rightly or not), precision (right answers over all answers, where any
answer to an unanswerable question is wrong) and how many unanswerable ones were answered. The
pair with the most coverage at the target precision wins; the suggestion floor is set so that
most unanswerable questions get "no answer" rather than a list of wrong articles.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.search import SearchResult, Thresholds

FLOORS = tuple(round(0.2 + 0.01 * n, 2) for n in range(71))  # 0.20 .. 0.90
MARGINS = tuple(round(0.01 * n, 2) for n in range(21))  # 0.00 .. 0.20
# The share of out-of-scope questions that may still be offered suggestions: a list of three
# articles to a question they do not answer costs a click, "no answer" to a question one of
# them answers costs the customer, so the suggestion floor is set generously.
SUGGEST_OUT_OF_SCOPE = 0.5


class CalibrationError(ValueError):
    """A questions file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Labelled:
    query: str
    expected_id: str | None  # None: out of scope, the right outcome is no answer


@dataclass(frozen=True)
class Outcome:
    """What the search found for one labelled question, all a sweep needs."""

    expected_id: str | None
    top_id: str | None
    top: float
    runner_up: float
    top3: tuple[str, ...]


@dataclass(frozen=True)
class Point:
    thresholds: Thresholds
    coverage: float  # answerable questions answered
    precision: float  # right answers / answers
    out_of_scope_answered: float
    answered: int


def read_questions(path: Path, known_ids: Iterable[str] | None = None) -> list[Labelled]:
    """`{"query": ..., "expected_id": ... or null}` per line; blank lines are skipped."""
    known = set(known_ids) if known_ids is not None else None
    found: list[Labelled] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"{path}: cannot be read ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise CalibrationError(f"{where}: expected an object with query and expected_id")
        query, expected = row.get("query"), row.get("expected_id", ...)
        if not isinstance(query, str) or not query.strip():
            raise CalibrationError(f"{where}: query must be a non-empty string")
        if expected is ... or not (expected is None or isinstance(expected, str)):
            raise CalibrationError(
                f"{where}: expected_id must be an article id, or null for a question the "
                "knowledge base should not answer"
            )
        if known is not None and expected is not None and expected not in known:
            raise CalibrationError(f"{where}: no article has the id {expected!r}")
        found.append(Labelled(query, expected))
    if not any(item.expected_id for item in found):
        raise CalibrationError(f"{path}: no labelled question with an expected_id")
    return found


def outcomes(search: Callable[[str], SearchResult], questions: Iterable[Labelled]) -> list[Outcome]:
    result = []
    for item in questions:
        hits = search(item.query).hits
        result.append(
            Outcome(
                item.expected_id,
                hits[0].article.id if hits else None,
                hits[0].score if hits else 0.0,
                hits[1].score if len(hits) > 1 else 0.0,
                tuple(hit.article.id for hit in hits[:3]),
            )
        )
    return result


def evaluate(found: Sequence[Outcome], thresholds: Thresholds) -> Point:
    """Coverage, precision and out-of-scope answers of `thresholds` on searched questions."""
    answerable = sum(o.expected_id is not None for o in found)
    outside = len(found) - answerable
    answered = right = outside_answered = in_scope_answered = 0
    for o in found:
        lead = round(o.top - o.runner_up, 6)  # as Thresholds.decide reads it
        if o.top >= thresholds.answer_score and lead >= thresholds.answer_margin:
            answered += 1
            if o.expected_id is None:
                outside_answered += 1
            else:
                in_scope_answered += 1
                right += o.top_id == o.expected_id
    return Point(
        thresholds,
        in_scope_answered / answerable if answerable else 0.0,
        right / answered if answered else 1.0,
        outside_answered / outside if outside else 0.0,
        answered,
    )


def suggest_floor(found: Sequence[Outcome], answer_score: float) -> float:
    """The suggestion floor: the score below which SUGGEST_OUT_OF_SCOPE of out-of-scope
    questions fall (so most get "no answer"); without any, the lexical default's distance
    below the answer floor."""
    outside = sorted(o.top for o in found if o.expected_id is None)
    if not outside:
        return round(max(0.0, answer_score - 0.1), 2)
    index = min(len(outside) - 1, int(len(outside) * (1 - SUGGEST_OUT_OF_SCOPE)))
    return round(min(answer_score, outside[index]), 2)


def sweep(found: Sequence[Outcome], target: float) -> tuple[list[Point], Point | None]:
    """Every grid point, and the one with the most coverage at precision >= target (ties:
    fewer out-of-scope answers, then the higher floor and margin); None if none holds."""
    points = []
    for floor in FLOORS:
        for margin in MARGINS:
            points.append(evaluate(found, Thresholds(floor, margin, 0.0)))
    holding = [p for p in points if p.precision >= target and p.answered]
    if not holding:
        return points, None
    best = max(
        holding,
        key=lambda p: (
            round(p.coverage, 6),
            -p.out_of_scope_answered,
            p.thresholds.answer_score,
            p.thresholds.answer_margin,
        ),
    )
    chosen = Thresholds(
        best.thresholds.answer_score,
        best.thresholds.answer_margin,
        suggest_floor(found, best.thresholds.answer_score),
    )
    return points, Point(
        chosen, best.coverage, best.precision, best.out_of_scope_answered, best.answered
    )


def top1(found: Sequence[Outcome]) -> float:
    """Right article first, over answerable questions."""
    answerable = [o for o in found if o.expected_id is not None]
    return sum(o.top_id == o.expected_id for o in answerable) / len(answerable)
