"""Week by week: conversations per stage and the self-service rate, for the leads' trend chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from lifecycle.stages import StageModel

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class WeekRow:
    """Conversations opened in [start, end): per stage in the model's order, and how many of
    them the customer resolved alone."""

    start: datetime
    end: datetime
    per_stage: tuple[int, ...]
    self_service: int

    @property
    def conversations(self) -> int:
        return sum(self.per_stage)

    @property
    def self_service_rate(self) -> float | None:
        return round(self.self_service / self.conversations, 3) if self.conversations else None


@dataclass(frozen=True)
class Trend:
    stages: tuple[str, ...]  # stage ids, in the model's order
    names: tuple[str, ...]  # their display names
    weeks: tuple[WeekRow, ...]  # oldest first


def week_bounds(until: datetime, weeks: int) -> list[datetime]:
    """`weeks` + 1 boundaries of whole 7-day windows ending at `until`, oldest first: the last
    window is the same period as a 7-day summary to `until`."""
    return [until - WEEK * (weeks - i) for i in range(weeks + 1)]


def weekly_trend(
    model: StageModel,
    bounds: list[datetime],
    counts: Mapping[int, Mapping[str, tuple[int, int]]],
) -> Trend:
    """The trend from `counts`: window index -> stage -> (conversations, self-service), for
    the windows between consecutive `bounds`. Stages the model no longer has are left out."""
    ids = tuple(stage.id for stage in model.stages)
    rows = []
    for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        week = counts.get(index, {})
        per_stage = tuple(week.get(stage, (0, 0))[0] for stage in ids)
        self_service = sum(week.get(stage, (0, 0))[1] for stage in ids)
        rows.append(WeekRow(start, end, per_stage, self_service))
    return Trend(ids, tuple(stage.name() for stage in model.stages), tuple(rows))
