"""The leads' numbers beyond counts: agents' times and CSAT per stage, and the weekly trend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from lifecycle import StageModel, load_stage_model
from lifecycle.summary import StageCounts, StageTimes, summarise
from lifecycle.trend import week_bounds, weekly_trend
from tests.conftest import T0


@pytest.fixture(scope="module")
def model() -> StageModel:
    return load_stage_model(Settings().stage_model)


def test_the_summary_gives_median_times_after_escalation_and_csat_per_stage(
    model: StageModel,
) -> None:
    summary = summarise(
        model, T0, T0 + timedelta(days=7),
        {"purchase": StageCounts(conversations=4, escalations=3)}, [], [],
        times={"purchase": StageTimes(to_first_reply=(10.0, 1.0, 3.0), to_resolve=(30.0, 61.0))},
        satisfaction={"purchase": (4, 3), "support": (2, 0)},
    )  # fmt: skip
    rows = {row.stage: row for row in summary.stages}
    purchase = rows["purchase"]
    assert (purchase.median_minutes_to_first_reply, purchase.median_minutes_to_resolve) == (
        3.0, 45.5)  # fmt: skip
    assert (purchase.csat, purchase.csat_rated) == (0.75, 4)
    # Verdicts count in the stage they were given in, even with no conversation opened there.
    assert (rows["support"].csat, rows["support"].csat_rated) == (0.0, 2)
    quiet = rows["awareness"]
    assert (quiet.median_minutes_to_first_reply, quiet.csat, quiet.csat_rated) == (None, None, 0)


def test_without_times_or_verdicts_the_summary_shows_none_rather_than_zero(
    model: StageModel,
) -> None:
    summary = summarise(model, T0, T0 + timedelta(days=1),
                        {"purchase": StageCounts(conversations=2)}, [], [])  # fmt: skip
    purchase = next(row for row in summary.stages if row.stage == "purchase")
    assert purchase.median_minutes_to_resolve is None and purchase.csat is None


def test_week_bounds_are_whole_weeks_ending_at_the_moment_asked() -> None:
    bounds = week_bounds(T0, 8)
    assert len(bounds) == 9 and bounds[-1] == T0 and bounds[0] == T0 - timedelta(days=56)
    assert {b - a for a, b in zip(bounds, bounds[1:], strict=False)} == {timedelta(days=7)}


def test_the_trend_lines_up_each_week_by_the_models_stages(model: StageModel) -> None:
    bounds = week_bounds(T0, 3)
    trend = weekly_trend(model, bounds, {
        2: {"purchase": (3, 1), "support": (1, 1), "retired-stage": (5, 5)},
        0: {"awareness": (2, 2)},
    })  # fmt: skip
    assert trend.stages == model.ids and len(trend.weeks) == 3
    first, empty, last = trend.weeks
    assert (first.start, first.end, first.conversations, first.self_service_rate) == (
        bounds[0], bounds[1], 2, 1.0)  # fmt: skip
    assert (empty.conversations, empty.self_service_rate) == (0, None)
    # A stage no longer in the model is left out rather than drawn under a wrong name.
    assert last.per_stage[model.ids.index("purchase")] == 3
    assert (last.conversations, last.self_service, last.self_service_rate) == (4, 2, 0.5)
