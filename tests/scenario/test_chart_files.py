"""The chart cache against the fake Slack: an upload per change of what the chart shows, not
per view, at most one redraw per interval, and superseded files deleted but the last."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.charts.figures import ChartData, ChartsUnavailable
from bot.slack.chart_files import ChartFiles, chart_files
from tests.conftest import T0
from tests.scenario.fake_slack import FakeSlack

DATA = ChartData(
    title="Lifecycle summary, last 7 days, to 05 Jan 2026", stages=("Purchase", "Support"),
    conversations=(3, 1), self_service=(0.5, None), escalation_rate=(0.3, None),
    escalations=(1, 0), first_reply=(4.0, None), resolve=(30.0, None), csat=(1.0, None),
    csat_rated=(1, 0), weeks=("29 Dec",), weekly=((3, 1),), weekly_self_service=(0.5,),
)  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"drawn"


class Clock:
    def __init__(self) -> None:
        self.at: datetime = T0

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def cache(fake: FakeSlack, clock: Clock, drawn: list[ChartData]) -> ChartFiles:
    def render(data: ChartData) -> bytes:
        drawn.append(data)
        return PNG + str(len(drawn)).encode()

    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    return ChartFiles(client, clock=clock, render=render, min_redraw=timedelta(minutes=10))


def test_the_same_chart_is_uploaded_once_however_often_it_is_shown(fake: FakeSlack) -> None:
    clock, drawn = Clock(), []
    charts = cache(fake, clock, drawn)
    first = charts.chart("7d", DATA)
    assert first is not None and first.data == DATA and first.drawn_at == T0
    clock.at += timedelta(hours=5)
    assert charts.chart("7d", DATA) == first
    assert len(drawn) == 1 and len(fake.calls_to("files.completeUploadExternal")) == 1
    assert fake.files.content[first.file_id] == PNG + b"1"


def test_changed_numbers_are_drawn_again_but_not_more_often_than_the_interval(
    fake: FakeSlack,
) -> None:
    clock, drawn = Clock(), []
    charts = cache(fake, clock, drawn)
    first = charts.chart("7d", DATA)
    busier = replace(DATA, conversations=(4, 1))
    clock.at += timedelta(minutes=3)
    assert charts.chart("7d", busier) == first  # too soon: the chart says when it was drawn
    clock.at += timedelta(minutes=10)
    second = charts.chart("7d", busier)
    assert second is not None and second.file_id != first.file_id and second.data == busier
    assert not fake.calls_to("files.delete")  # a lead's open tab may still show the first
    clock.at += timedelta(minutes=10)
    third = charts.chart("7d", replace(DATA, conversations=(5, 1)))
    assert third is not None and third.file_id not in (first.file_id, second.file_id)
    assert [c.params["file"] for c in fake.calls_to("files.delete")] == [first.file_id]


def test_each_period_has_its_own_chart(fake: FakeSlack) -> None:
    charts = cache(fake, Clock(), [])
    week, month = charts.chart("7d", DATA), charts.chart("30d", replace(DATA, title="30 days"))
    assert week is not None and month is not None and week.file_id != month.file_id
    assert charts.chart("7d", DATA) == week


def test_a_failed_upload_keeps_the_chart_there_was(fake: FakeSlack) -> None:
    clock = Clock()
    charts = cache(fake, clock, [])
    assert charts.chart("7d", DATA) is not None
    first = charts.chart("7d", DATA)
    clock.at += timedelta(hours=1)
    fake.fail_next("files.getUploadURLExternal", status=500, times=10)
    assert charts.chart("7d", replace(DATA, conversations=(9, 9))) == first
    fresh = cache(fake, clock, [])
    fake.fail_next("files.getUploadURLExternal", status=500, times=10)
    assert fresh.chart("7d", DATA) is None  # nothing to show but the text


def test_without_matplotlib_there_is_no_chart_and_nothing_is_uploaded(fake: FakeSlack) -> None:
    def unavailable(data: ChartData) -> bytes:
        raise ChartsUnavailable("no matplotlib")

    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    assert ChartFiles(client, render=unavailable).chart("7d", DATA) is None
    assert not fake.calls


def test_one_cache_per_slack_client(fake: FakeSlack) -> None:
    one, two = (WebClient(token="xoxb-test", base_url=fake.base_url) for _ in range(2))
    assert chart_files(one) is chart_files(one) and chart_files(one) is not chart_files(two)
