"""Calibration arithmetic: coverage, precision, out-of-scope answers and the chosen thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.calibration import (
    CalibrationError,
    Outcome,
    evaluate,
    read_questions,
    suggest_floor,
    sweep,
)
from knowledge_base.search import Thresholds


def outcome(expected: str | None, top: str, score: float, runner_up: float) -> Outcome:
    return Outcome(expected, top, score, runner_up, (top,))


FOUND = [
    outcome("a", "a", 0.90, 0.40),  # right, clear
    outcome("b", "b", 0.70, 0.55),  # right, closer call
    outcome("c", "x", 0.65, 0.30),  # wrong, clear
    outcome("d", "d", 0.45, 0.10),  # right, low
    outcome(None, "a", 0.60, 0.20),  # out of scope, looks clear
    outcome(None, "b", 0.30, 0.25),  # out of scope, low
]


def test_precision_counts_an_answer_to_an_out_of_scope_question_as_wrong() -> None:
    point = evaluate(FOUND, Thresholds(0.5, 0.05, 0.3))
    # Answered: a, b, c (in scope) and the first out-of-scope one: 2 right of 4.
    assert point.answered == 4
    assert point.coverage == pytest.approx(3 / 4)
    assert point.precision == pytest.approx(2 / 4)
    assert point.out_of_scope_answered == pytest.approx(1 / 2)


def test_the_sweep_picks_the_most_coverage_that_holds_the_precision() -> None:
    points, best = sweep(FOUND, 0.99)
    assert best is not None
    assert best.precision == 1.0
    # Keeping out c (0.65) and the out-of-scope one (0.60, lead 0.40) leaves at most two: a and
    # b, with a floor above 0.65 and b's lead of 0.15; of the ties, the highest floor and margin.
    assert best.coverage == pytest.approx(2 / 4)
    assert (best.thresholds.answer_score, best.thresholds.answer_margin) == (0.70, 0.15)
    assert all(p.precision < 0.99 or p.coverage <= best.coverage for p in points)


def test_no_thresholds_hold_an_impossible_precision() -> None:
    _, best = sweep([outcome("a", "x", 0.9, 0.1), outcome("b", "y", 0.8, 0.1)], 0.5)
    assert best is None


def test_the_suggestion_floor_lets_half_the_out_of_scope_questions_through() -> None:
    found = [outcome(None, "a", s, 0.0) for s in (0.1, 0.2, 0.3, 0.4)]
    assert suggest_floor(found, 0.8) == 0.3
    assert suggest_floor(found, 0.25) == 0.25  # never above the answer floor
    assert suggest_floor(FOUND[:4], 0.6) == 0.5  # no out-of-scope questions: 0.1 below


def test_a_questions_file_is_checked_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "how to pay", "expected_id": "pay"}\n\n'
                    '{"query": "weather", "expected_id": null}\n', encoding="utf-8")  # fmt: skip
    found = read_questions(path, {"pay"})
    assert [(q.query, q.expected_id) for q in found] == [("how to pay", "pay"), ("weather", None)]
    for line, message in [
        ("not json", ":1: not JSON"),
        ('["a list"]', ":1: expected an object"),
        ('{"query": "", "expected_id": "pay"}', ":1: query must be a non-empty string"),
        ('{"query": "x", "expected_id": 3}', ":1: expected_id must be an article id"),
        ('{"query": "x", "expected_id": "other"}', ":1: no article has the id 'other'"),
        ('{"query": "x", "expected_id": null}', "no labelled question with an expected_id"),
    ]:
        path.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(CalibrationError, match=message.replace("[", r"\[")):
            read_questions(path, {"pay"})
