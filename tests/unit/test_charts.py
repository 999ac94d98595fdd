"""The leads' charts: one PNG, the same bytes for the same numbers, and an HTML report that
opens offline; without matplotlib, the report still comes, saying what the charts need."""

from __future__ import annotations

import base64
import re
import struct
import sys
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.charts import figures
from bot.charts.figures import CHARTS_HINT, ChartsUnavailable, chart_data, render_png
from bot.charts.html_report import html_report, report_with_charts
from bot.config import Settings
from lifecycle import StageModel, load_stage_model
from lifecycle.summary import StageCounts, StageTimes, Summary, summarise
from lifecycle.trend import Trend, week_bounds, weekly_trend
from tests.conftest import T0

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model() -> StageModel:
    return load_stage_model(Settings().stage_model)


def a_week(model: StageModel, unanswered: tuple[tuple[str, int], ...] = ()) -> Summary:
    return summarise(
        model, T0 - timedelta(days=7), T0,
        {"purchase": StageCounts(conversations=12, customers=9, self_service=5, escalations=4),
         "support": StageCounts(conversations=20, customers=15, self_service=14, escalations=2),
         "awareness": StageCounts(conversations=30, customers=30, self_service=27)},
        [("awareness", "purchase", 3)], list(unanswered),
        times={"purchase": StageTimes((2.0, 4.0, 9.0), (30.0, 50.0)),
               "support": StageTimes((15.0,), (400.0,))},
        satisfaction={"purchase": (3, 2), "support": (2, 2)},
    )  # fmt: skip


def eight_weeks(model: StageModel) -> Trend:
    bounds = week_bounds(T0, 8)
    counts = {week: {"awareness": (10 + week, 8), "purchase": (week, week // 2)}
              for week in range(8)}  # fmt: skip
    return weekly_trend(model, bounds, counts)


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    return struct.unpack(">II", png[16:24])  # the IHDR chunk comes first


def test_the_same_numbers_draw_the_same_png_of_a_fixed_size(model: StageModel) -> None:
    data = chart_data(a_week(model), eight_weeks(model), "last 7 days")
    first = render_png(data)
    assert render_png(data) == first
    assert png_size(first) == (1200, 1300)
    assert b"Matplotlib" not in first  # no version stamp: bytes depend on the data alone


def test_other_numbers_draw_another_png(model: StageModel) -> None:
    data = chart_data(a_week(model), eight_weeks(model), "last 7 days")
    assert render_png(replace(data, conversations=(1,) * len(data.stages))) != render_png(data)


def test_an_empty_period_still_draws(model: StageModel) -> None:
    empty = summarise(model, T0 - timedelta(days=7), T0, {}, [], [])
    trend = weekly_trend(model, week_bounds(T0, 8), {})
    assert png_size(render_png(chart_data(empty, trend, "last 7 days"))) == (1200, 1300)


def test_chart_data_holds_what_is_drawn_per_stage_and_week(model: StageModel) -> None:
    data = chart_data(a_week(model), eight_weeks(model), "last 7 days")
    purchase = model.ids.index("purchase")
    assert data.title == "Lifecycle summary, last 7 days, to 05 Jan 2026"
    assert (data.conversations[purchase], data.escalations[purchase]) == (12, 4)
    assert (data.first_reply[purchase], data.resolve[purchase]) == (4.0, 40.0)
    assert (data.csat[purchase], data.csat_rated[purchase]) == (0.667, 3)
    assert len(data.weeks) == 8 and data.weekly[-1][purchase] == 7
    assert data.weekly_self_service[0] == 0.8


def offline_problems(page: str) -> list[str]:
    """Everything in `page` that would fetch from elsewhere."""
    found = re.findall(r"<script|<link|@import|url\(|https?://", page, flags=re.IGNORECASE)
    found += [src for src in re.findall(r'src="([^"]*)"', page) if not src.startswith("data:")]
    return found


def test_the_html_report_embeds_its_charts_and_fetches_nothing(model: StageModel) -> None:
    hostile = "<script src=x>alert(1)</script> & co"
    page, charted = report_with_charts(a_week(model, ((hostile, 2),)), eight_weeks(model),
                                       "last 7 days")  # fmt: skip
    assert charted and offline_problems(page) == []
    [data] = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert png_size(base64.b64decode(data)) == (1200, 1300)
    assert "<td>Purchase</td><td>12</td><td>9</td><td>42%</td><td>4</td>" in page
    assert "67% of 3" in page and "<th>7 days from</th>" in page
    assert "&lt;script src=x&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert hostile not in page


def test_an_address_a_customer_typed_is_text_in_the_report_not_a_fetch(model: StageModel) -> None:
    page = html_report(a_week(model, (("is https://example.com down?", 1),)),
                       eight_weeks(model), "last 7 days", None, "no charts")  # fmt: skip
    assert "is https://example.com down?" in page
    assert [p for p in offline_problems(page) if not p.startswith("http")] == []
    assert "href=" not in page and "<img" not in page


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on an install without the `charts` extra: every matplotlib import fails."""
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # None there makes `import` raise


def test_without_matplotlib_the_charts_are_unavailable(
    model: StageModel, no_matplotlib: None
) -> None:
    assert not figures.available()
    with pytest.raises(ChartsUnavailable, match="charts"):
        render_png(chart_data(a_week(model), eight_weeks(model), "last 7 days"))


def test_without_matplotlib_the_report_keeps_its_tables_and_says_what_charts_need(
    model: StageModel, no_matplotlib: None
) -> None:
    page, charted = report_with_charts(a_week(model), eight_weeks(model), "last 7 days")
    assert not charted and "<img" not in page
    assert CHARTS_HINT.replace("'", "&#x27;") in page
    assert "<td>Purchase</td><td>12</td>" in page and offline_problems(page) == []
