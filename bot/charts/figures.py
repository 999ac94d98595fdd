"""The leads' charts in one PNG: the stage funnel, self-service and escalations, agents' times
after an escalation, satisfaction (CSAT), and the 8-week trend.

matplotlib is imported only when a chart is drawn (`charts` extra); without it `render_png`
raises `ChartsUnavailable`. Drawing uses the object API (`Figure` on an Agg canvas), so neither
pyplot's global figure list nor the host's chosen backend is touched, and every text names
matplotlib's bundled DejaVu Sans: the same data gives the same PNG bytes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lifecycle.summary import Summary
from lifecycle.trend import Trend

CHARTS_HINT = "Charts need the optional `charts` extra: pip install 'supportbot[charts]'."
FONT = "DejaVu Sans"
SIZE_INCHES, DPI = (12.0, 13.0), 100  # 1200 x 1300 pixels
STAGE_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
                 "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip
GOOD, BAD, FIRST, LATER = "#59a14f", "#e15759", "#4e79a7", "#b07aa1"
# matplotlib's font cache and FreeType faces are shared by all figures and are not safe to
# use from two threads at once; Bolt runs listeners on a pool, so drawing takes turns.
_DRAWING = threading.Lock()


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed (the `charts` extra)."""


@dataclass(frozen=True)
class ChartData:
    """Exactly what the charts show, as plain values: equal data draws an equal PNG, so it
    also serves as the key of an uploaded chart."""

    title: str
    stages: tuple[str, ...]  # display names, in the model's order
    conversations: tuple[int, ...]
    self_service: tuple[float | None, ...]  # shares, 0..1
    escalation_rate: tuple[float | None, ...]
    escalations: tuple[int, ...]
    first_reply: tuple[float | None, ...]  # median minutes after an escalation
    resolve: tuple[float | None, ...]
    csat: tuple[float | None, ...]
    csat_rated: tuple[int, ...]
    weeks: tuple[str, ...]  # a label per 7-day window, oldest first
    weekly: tuple[tuple[int, ...], ...]  # per window: conversations per stage
    weekly_self_service: tuple[float | None, ...]


def chart_data(summary: Summary, trend: Trend, label: str) -> ChartData:
    """What to draw for `summary` (the period called `label`) and its weekly `trend`."""
    rows = summary.stages
    return ChartData(
        title=f"Lifecycle summary, {label}, to {summary.until:%d %b %Y}",
        stages=tuple(row.name for row in rows),
        conversations=tuple(row.conversations for row in rows),
        self_service=tuple(row.self_service_rate for row in rows),
        escalation_rate=tuple(row.escalation_rate for row in rows),
        escalations=tuple(row.escalations for row in rows),
        first_reply=tuple(row.median_minutes_to_first_reply for row in rows),
        resolve=tuple(row.median_minutes_to_resolve for row in rows),
        csat=tuple(row.csat for row in rows),
        csat_rated=tuple(row.csat_rated for row in rows),
        weeks=tuple(f"{week.start:%d %b}" for week in trend.weeks),
        weekly=tuple(week.per_stage for week in trend.weeks),
        weekly_self_service=tuple(week.self_service_rate for week in trend.weeks),
    )


def alt_text(data: ChartData) -> str:
    """The charts in words, for screen readers and the image block's alt text."""
    busiest = sorted(zip(data.conversations, data.stages, strict=True), reverse=True)[:3]
    parts = [f"{name}: {count}" for count, name in busiest if count]
    weekly = [sum(week) for week in data.weekly]
    return (f"{data.title}. Conversations per stage, most first: {', '.join(parts) or 'none'}. "
            f"Conversations per week over the last {len(weekly)} weeks: "
            f"{', '.join(map(str, weekly))}.")  # fmt: skip


def available() -> bool:
    """Whether charts can be drawn here (matplotlib is installed)."""
    try:
        _matplotlib()
    except ChartsUnavailable:
        return False
    return True


def _matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as missing:
        raise ChartsUnavailable(CHARTS_HINT) from missing
    return Figure, FigureCanvasAgg


def render_png(data: ChartData) -> bytes:
    """The five charts in one PNG of fixed size; raises ChartsUnavailable without matplotlib."""
    figure_class, canvas_class = _matplotlib()
    with _DRAWING:
        figure = figure_class(figsize=SIZE_INCHES, dpi=DPI, layout="constrained",
                              facecolor="white")  # fmt: skip
        canvas_class(figure)
        grid = figure.add_gridspec(3, 2, height_ratios=(1, 1, 1.15))
        figure.suptitle(data.title, fontfamily=FONT, fontsize=15, fontweight="bold")
        _funnel(figure.add_subplot(grid[0, 0]), data)
        _rates(figure.add_subplot(grid[0, 1]), data)
        _times(figure.add_subplot(grid[1, 0]), data)
        _csat(figure.add_subplot(grid[1, 1]), data)
        _trend(figure.add_subplot(grid[2, :]), data)
        out = io.BytesIO()
        # No "Software" entry: the PNG then depends on the data alone.
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        return out.getvalue()


def _style(ax: Any, title: str, xlabel: str = "") -> None:
    ax.set_title(title, fontfamily=FONT, fontsize=12, loc="left")
    if xlabel:
        ax.set_xlabel(xlabel, fontfamily=FONT, fontsize=10)
    ax.tick_params(labelfontfamily=FONT, labelsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _stage_axis(ax: Any, names: Sequence[str]) -> None:
    ax.set_yticks(range(len(names)), labels=list(names))
    ax.set_ylim(len(names) - 0.5, -0.5)  # the model's first stage on top, as a funnel reads


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontfamily=FONT, fontsize=11, color="#666666")  # fmt: skip


def _label(ax: Any, x: float, y: float, text: str) -> None:
    ax.text(x, y, f" {text}", va="center", fontfamily=FONT, fontsize=8, color="#333333")


def _funnel(ax: Any, data: ChartData) -> None:
    _style(ax, "Conversations per stage", "conversations opened")
    _stage_axis(ax, data.stages)
    colours = [STAGE_COLOURS[i % len(STAGE_COLOURS)] for i in range(len(data.stages))]
    ax.barh(range(len(data.stages)), data.conversations, color=colours)
    largest = max(data.conversations, default=0)
    ax.set_xlim(0, max(largest, 1) * 1.15)
    for y, count in enumerate(data.conversations):
        _label(ax, count, y, str(count))
    if not largest:
        _note(ax, "no conversations in this period")


def _percent(values: Sequence[float | None]) -> list[float]:
    return [100 * value if value is not None else 0.0 for value in values]


def _percent_axis(ax: Any) -> None:
    ax.set_xlim(0, 125)  # room for the labels right of a full bar
    ax.set_xticks(range(0, 101, 20))


def _rates(ax: Any, data: ChartData) -> None:
    _style(ax, "Self-service and escalations", "% of the stage's conversations")
    _stage_axis(ax, data.stages)
    ys = range(len(data.stages))
    alone = _percent(data.self_service)
    escalated = _percent(data.escalation_rate)
    ax.barh([y - 0.2 for y in ys], alone, height=0.4, color=GOOD, label="self-service")
    ax.barh([y + 0.2 for y in ys], escalated, height=0.4, color=BAD, label="escalated")
    _percent_axis(ax)
    for y, share, number in zip(ys, data.escalation_rate, data.escalations, strict=True):
        if share is not None:
            _label(ax, 100 * share, y + 0.2, f"{number} escalated")
    for y, share in zip(ys, data.self_service, strict=True):
        if share is not None:
            _label(ax, 100 * share, y - 0.2, f"{share:.0%}")
    ax.legend(loc="lower right", prop={"family": FONT, "size": 8}, frameon=False)


def _times(ax: Any, data: ChartData) -> None:
    known = [m for m in (*data.first_reply, *data.resolve) if m is not None]
    hours = max(known, default=0) > 180
    unit, scale = ("hours", 60.0) if hours else ("minutes", 1.0)
    _style(ax, "Agents after an escalation (median)", unit)
    _stage_axis(ax, data.stages)
    ys = range(len(data.stages))
    for offset, values, colour, name in ((-0.2, data.first_reply, FIRST, "first reply"),
                                         (0.2, data.resolve, LATER, "resolved")):  # fmt: skip
        shown = [(m or 0.0) / scale for m in values]
        ax.barh([y + offset for y in ys], shown, height=0.4, color=colour, label=name)
        for y, minutes, value in zip(ys, values, shown, strict=True):
            _label(ax, value, y + offset, "–" if minutes is None else f"{value:.1f}")
    ax.set_xlim(0, max(max(known, default=1.0) / scale, 0.1) * 1.2)
    ax.legend(loc="lower right", prop={"family": FONT, "size": 8}, frameon=False)
    if not known:
        _note(ax, "no escalation answered in this period")


def _csat(ax: Any, data: ChartData) -> None:
    _style(ax, "Satisfaction after an agent resolved (CSAT)", "% satisfied")
    _stage_axis(ax, data.stages)
    ys = range(len(data.stages))
    ax.barh(ys, _percent(data.csat), color=GOOD)
    _percent_axis(ax)
    for y, share, rated in zip(ys, data.csat, data.csat_rated, strict=True):
        _label(ax, 100 * (share or 0), y, "–" if share is None else f"{share:.0%} of {rated}")
    if not any(data.csat_rated):
        _note(ax, "no verdicts in this period")


def _trend(ax: Any, data: ChartData) -> None:
    _style(ax, f"Last {len(data.weeks)} weeks: conversations per stage and self-service")
    xs = range(len(data.weeks))
    bottom = [0] * len(data.weeks)
    for index, name in enumerate(data.stages):
        heights = [week[index] for week in data.weekly]
        if any(heights):
            ax.bar(xs, heights, bottom=bottom, width=0.7, label=name,
                   color=STAGE_COLOURS[index % len(STAGE_COLOURS)])  # fmt: skip
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(list(xs), labels=[f"from {week}" for week in data.weeks])
    ax.set_ylabel("conversations", fontfamily=FONT, fontsize=10)
    ax.set_ylim(0, max(max(bottom, default=0), 1) * 1.2)
    rate = ax.twinx()
    rate.plot([x for x, r in zip(xs, data.weekly_self_service, strict=True) if r is not None],
              [100 * r for r in data.weekly_self_service if r is not None],
              color="#222222", marker="o", linewidth=2, label="self-service %")  # fmt: skip
    rate.set_ylim(0, 105)
    rate.set_ylabel("self-service %", fontfamily=FONT, fontsize=10)
    rate.tick_params(labelfontfamily=FONT, labelsize=9)
    rate.spines["top"].set_visible(False)
    bars, names = ax.get_legend_handles_labels()
    line, label = rate.get_legend_handles_labels()
    ax.legend(bars + line, names + label, loc="upper left", ncols=4,
              prop={"family": FONT, "size": 8}, frameon=False)  # fmt: skip
    if not any(bottom):
        _note(ax, "no conversations in these weeks")
