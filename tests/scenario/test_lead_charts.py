"""The leads' chart end to end: drawn, uploaded to (fake) Slack once, and shown by its file id
on the Home tab and with `/lifecycle summary`; the text summary alone without matplotlib."""

from __future__ import annotations

import sys
import time

import pytest

from tests.scenario.conftest import CUSTOMER, DM, LEAD, Running
from tests.scenario.fake_slack import Call
from tests.scenario.slack_requests import app_home_opened_event, message_event, slash_command

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UPLOAD_STEPS = ("files.getUploadURLExternal", "file_upload", "files.completeUploadExternal")


def images(blocks: list[dict]) -> list[dict]:
    return [block for block in blocks if block["type"] == "image"]


def a_customer_asks(run: Running) -> None:
    event = message_event(CUSTOMER, "how do I pay with paypal", DM, channel_type="im")
    assert run.slack.send_event(event).status == 200
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)


def open_home(run: Running, times: int) -> list[Call]:
    run.slack.send_event(app_home_opened_event(LEAD))
    return run.fake.wait_for("views.publish", times)


def test_the_leads_home_shows_the_chart_uploaded_once_and_the_summary_reuses_it(
    running: Running,
) -> None:
    run = running
    a_customer_asks(run)
    [first] = open_home(run, 1)
    [image] = images(first.params["view"]["blocks"])
    file_id = image["slack_file"]["id"]
    assert image["alt_text"].startswith("Lifecycle summary, last 7 days")
    # The v2 upload, in order, of a PNG, shared in no channel.
    steps = [c.method for c in run.fake.calls if c.method in UPLOAD_STEPS]
    assert steps == list(UPLOAD_STEPS)
    [complete] = run.fake.calls_to("files.completeUploadExternal")
    assert not complete.params.get("channel_id") and not complete.params.get("channels")
    assert [f["id"] for f in complete.params["files"]] == [file_id]
    assert run.fake.files.content[file_id].startswith(PNG_SIGNATURE)
    view_text = str(first.params["view"])
    assert "Lifecycle summary" in view_text and "first reply" in view_text and "CSAT" in view_text

    # Nothing changed: opening the tab again shows the same file, uploading nothing.
    second = open_home(run, 2)[1]
    assert images(second.params["view"]["blocks"]) == [image]
    url = run.fake.response_url("summary")
    run.slack.send_command(slash_command("/lifecycle", "summary", LEAD, response_url=url))
    [response] = run.fake.wait_for("response_url")
    assert [i["slack_file"]["id"] for i in images(response.params["blocks"])] == [file_id]
    assert response.params["response_type"] == "ephemeral"
    assert len(run.fake.calls_to("files.getUploadURLExternal")) == 1

    # Another period is another chart.
    run.slack.send_command(slash_command("/lifecycle", "summary 30d", LEAD,
                                         response_url=run.fake.response_url("month")))  # fmt: skip
    month = run.fake.wait_for("response_url", 2)[1]
    [other] = images(month.params["blocks"])
    assert other["slack_file"]["id"] != file_id and "last 30 days" in other["alt_text"]
    assert len(run.fake.calls_to("files.completeUploadExternal")) == 2


def test_without_matplotlib_the_home_and_the_summary_are_text_alone(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # importing them now fails, as uninstalled
    run = running
    a_customer_asks(run)
    [home] = open_home(run, 1)
    blocks = home.params["view"]["blocks"]
    assert images(blocks) == [] and "Purchase" in str(blocks) and "█" in str(blocks)
    run.slack.send_command(slash_command("/lifecycle", "summary 7d", LEAD,
                                         response_url=run.fake.response_url("a")))  # fmt: skip
    [response] = run.fake.wait_for("response_url")
    assert images(response.params["blocks"]) == []
    assert "Lifecycle summary" in response.params["text"]
    assert not [c for c in run.fake.calls if c.method.startswith("files.")]


def test_a_chart_slack_refuses_leaves_the_home_tab_with_the_text(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.slack import summary_view

    real = summary_view.image_block

    def without_alt_text(chart):  # noqa: ANN001, ANN202 - an image block Slack refuses
        return {k: v for k, v in real(chart).items() if k != "alt_text"}

    monkeypatch.setattr(summary_view, "image_block", without_alt_text)
    run = running
    a_customer_asks(run)
    run.slack.send_event(app_home_opened_event(LEAD))
    # Not wait_for: it fails on the refused call, which is this test's point.
    deadline = time.monotonic() + 20
    while len(run.fake.calls_to("views.publish")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    refused, published = run.fake.calls_to("views.publish")
    assert [(v.method, v.error) for v in run.fake.take_violations()] == [
        ("views.publish", "invalid_blocks")]  # fmt: skip
    assert images(refused.params["view"]["blocks"])
    assert not images(published.params["view"]["blocks"])
    assert "Lifecycle summary" in str(published.params["view"])
    # The refused file is forgotten: the next view uploads the chart again.
    monkeypatch.setattr(summary_view, "image_block", real)
    open_home(run, 3)
    assert len(run.fake.calls_to("files.completeUploadExternal")) == 2
