"""Hostile requests to the real app over HTTP (waitress + Bolt + fake Slack): each gets a short
4xx, leaves nothing in the database, makes no call to Slack and logs one line, no traceback."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from bot.slack.server import MAX_BODY_BYTES
from tests.scenario.conftest import CUSTOMER, DM, Running
from tests.scenario.slack_requests import message_event
from tests.security.conftest import Answer, post_raw, signed_headers, slack_calls, stored_rows

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EVENT = json.dumps(message_event(CUSTOMER, "how do I pay with paypal", DM)).encode()


def base(run: Running) -> str:
    return run.slack.base_url


def assert_left_no_trace(run: Running, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing stored, nothing sent to Slack, and the log has a line but no traceback."""
    time.sleep(0.3)  # a request that got through would be acked first and worked on after
    assert set(stored_rows(run.services.store).values()) == {0}
    assert slack_calls(run.fake) == []
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def assert_short(answer: Answer, status: int) -> None:
    assert answer.status == status, answer
    assert len(answer.body) < 100 and b"Traceback" not in answer.body


UNSIGNED = {
    "malformed JSON": (b"{not json", JSON),
    "non-UTF-8 body": (b"\xff\xfe{\x00\x80", JSON),
    "payload= that is not JSON": (b"payload=%7Bnope", FORM),
    "payload= that is a list": (b"payload=%5B1%5D", FORM),
    "an empty body": (b"", JSON),
    "a valid event": (EVENT, JSON),
    "no content type": (EVENT, {}),
}


@pytest.mark.parametrize("body, headers", UNSIGNED.values(), ids=UNSIGNED.keys())
def test_unsigned_requests_get_401_before_anything_is_parsed(
    running: Running, caplog: pytest.LogCaptureFixture, body: bytes, headers: dict
) -> None:
    assert_short(post_raw(base(running), body, headers), 401)
    [line] = [r for r in caplog.records if r.name == "bot.slack.server"]
    assert "no signature headers" in line.getMessage()
    assert_left_no_trace(running, caplog)


BAD_HEADERS = {
    "non-numeric timestamp": {"X-Slack-Request-Timestamp": "abc"},
    "negative timestamp": {"X-Slack-Request-Timestamp": "-1"},
    "non-ASCII digits in the timestamp": {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠"},
    "a huge timestamp": {"X-Slack-Request-Timestamp": "9" * 5000},
    "timestamp only": {"X-Slack-Signature": None},
    "signature only": {"X-Slack-Request-Timestamp": None},
    "a signature of another scheme": {"X-Slack-Signature": "v1=" + "0" * 64},
    "a non-ASCII signature": {"X-Slack-Signature": "v0=" + "é" * 64},
}


@pytest.mark.parametrize("change", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_broken_signature_headers_get_401(
    running: Running, caplog: pytest.LogCaptureFixture, change: dict
) -> None:
    headers = {**JSON, **signed_headers(EVENT)}
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    # http.client sends header values as latin-1; the test's non-ASCII ones must fit in it.
    headers = {k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()}
    assert_short(post_raw(base(running), EVENT, headers), 401)
    assert_left_no_trace(running, caplog)


@pytest.mark.parametrize("age", [-301, 301, 3600, -86_400])
def test_stale_or_future_timestamps_get_401_though_signed(
    running: Running, caplog: pytest.LogCaptureFixture, age: int
) -> None:
    headers = {**JSON, **signed_headers(EVENT, timestamp=int(time.time()) - age)}
    assert_short(post_raw(base(running), EVENT, headers), 401)
    assert "stale" in caplog.text
    assert_left_no_trace(running, caplog)


def test_forged_signatures_get_401(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    wrong_secret = {**JSON, **signed_headers(EVENT, secret="guessed")}
    assert_short(post_raw(base(running), EVENT, wrong_secret), 401)
    tampered = EVENT.replace(b"paypal", b"PAYPAL")
    assert_short(post_raw(base(running), tampered, {**JSON, **signed_headers(EVENT)}), 401)
    upper = {**JSON, **signed_headers(EVENT)}
    upper["X-Slack-Signature"] = "v0=" + upper["X-Slack-Signature"][3:].upper()
    assert_short(post_raw(base(running), EVENT, upper), 401)
    assert caplog.text.count("signature does not match") == 2
    assert_left_no_trace(running, caplog)


SIGNED_MALFORMED = {
    "bad JSON": (b'{"type": "event_callback", ', JSON, 400),
    "a JSON list": (b"[1, 2]", JSON, 400),
    "a JSON string": (b'"event_callback"', JSON, 400),
    "an event that is a string": (b'{"type": "event_callback", "event": "message"}', JSON, 400),
    "an event that is null": (b'{"type": "message", "event": null}', JSON, 400),
    "a message event with no channel": (
        b'{"type": "event_callback", "event": {"type": "message", "ts": "1.2"}}', JSON, 400),
    "a user id that is an object": (json.dumps({**json.loads(EVENT), "event": {
        **json.loads(EVENT)["event"], "user": {"id": CUSTOMER}}}).encode(), JSON, 400),
    "payload= that is not JSON": (b"payload=%7Bnope", FORM, 400),
    "an action with no action_id": (urlencode({"payload": json.dumps({
        "type": "block_actions", "user": {"id": CUSTOMER}, "actions": [{}]})}).encode(),
        FORM, 400),
    "a view that is null": (b'{"type": "view_submission", "view": null}', JSON, 400),
    "non-UTF-8 bytes": (b'{"text": "\xff\xfe"}', JSON, 401),
    "plain text": (b"hello", {"Content-Type": "text/plain"}, 415),
    "no content type": (EVENT, {}, 415),
}  # fmt: skip


@pytest.mark.parametrize("body, headers, status", SIGNED_MALFORMED.values(),
                         ids=SIGNED_MALFORMED.keys())  # fmt: skip
def test_signed_but_malformed_bodies_get_a_4xx_never_a_5xx(
    running: Running, caplog: pytest.LogCaptureFixture, body: bytes, headers: dict, status: int
) -> None:
    # Non-UTF-8 can carry no signature Slack's verifier accepts, so it is refused as unsigned.
    assert_short(post_raw(base(running), body, {**headers, **signed_headers(body)}), status)
    assert_left_no_trace(running, caplog)


def test_an_oversized_signed_body_gets_413(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    envelope = message_event(CUSTOMER, "x" * MAX_BODY_BYTES, DM)
    body = json.dumps(envelope).encode()
    assert_short(post_raw(base(running), body, {**JSON, **signed_headers(body)}), 413)
    assert_left_no_trace(running, caplog)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_post_reaches_the_events_path(running: Running, method: str) -> None:
    answer = post_raw(base(running), EVENT, {**JSON, **signed_headers(EVENT)}, method=method)
    assert_short(answer, 405)
    assert answer.headers["allow"] == "POST"
    assert set(stored_rows(running.services.store).values()) == {0}


@pytest.mark.parametrize("path", ["/", "/slack/events/", "/slack/event", "/SLACK/EVENTS",
                                  "/slack/install", "/healthz/../slack/events"])  # fmt: skip
def test_unknown_paths_get_404(running: Running, path: str) -> None:
    answer = post_raw(base(running), EVENT, {**JSON, **signed_headers(EVENT)}, path=path)
    assert_short(answer, 404)
    assert set(stored_rows(running.services.store).values()) == {0}


def test_health_answers_get_only(running: Running) -> None:
    assert post_raw(base(running), method="GET", path="/healthz").status == 200
    refused = post_raw(base(running), b"{}", JSON, path="/healthz")
    assert refused.status == 405 and refused.headers["allow"] == "GET"


def test_a_replayed_request_is_processed_once(running: Running) -> None:
    headers = {**JSON, **signed_headers(EVENT)}  # the very same bytes and headers, twice
    assert post_raw(base(running), EVENT, headers).status == 200
    running.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    assert post_raw(base(running), EVENT, headers).status == 200
    time.sleep(1.0)  # a second processing would post within this
    assert len(running.posts(DM)) == 1
    rows = stored_rows(running.services.store)
    assert rows["inbound_events"] == 1 and rows["messages"] == 2  # the question, one reply


def test_a_signed_event_still_gets_through(running: Running) -> None:
    """The edge's checks refuse what is broken, not what Slack sends."""
    answer = post_raw(base(running), EVENT, {**JSON, **signed_headers(EVENT)})
    assert answer.status == 200
    running.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
