"""Property tests of the HTTP edge: whatever arrives at /slack/events, the answer is never a 5xx.

Driven through the WSGI application with a fake environ (no network), so hypothesis can try
many requests; signed ones go on through Bolt and the inbox like Slack's would.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.security.conftest import call_wsgi, signed_headers

FORM = "application/x-www-form-urlencoded"
HEADER_NAMES = ("Content-Type", "Content-Length", "X-Slack-Request-Timestamp",
                "X-Slack-Signature", "X-Slack-Retry-Num", "X-Slack-Retry-Reason",
                "Transfer-Encoding", "Host")  # fmt: skip
# WSGI servers hand the app header values decoded as latin-1: any of the 256 code points.
header_values = st.one_of(
    st.text(st.characters(max_codepoint=255), max_size=80),
    st.integers(-(10**20), 10**20).map(str),
    st.just(str(int(time.time()))),
    st.from_regex(r"v0=[0-9a-f]{64}", fullmatch=True),
)
headers = st.dictionaries(st.sampled_from(HEADER_NAMES) | st.text(min_size=1, max_size=20),
                          header_values, max_size=6)  # fmt: skip
content_types = st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                 "application/json; charset=utf-8", "text/plain", ""])  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),  # fmt: skip
    max_leaves=12,
)
SLACK_KEYS = ("event", "event_id", "team_id", "user", "channel", "ts", "text", "actions",
              "container", "view", "command", "payload", "authorizations", "enterprise",
              "team", "subtype", "thread_ts", "bot_id", "api_app_id", "challenge",
              "response_url", "message", "tab", "channel_type")  # fmt: skip
slack_types = st.sampled_from(["event_callback", "message", "app_mention", "block_actions",
                               "view_submission", "url_verification", "app_home_opened",
                               "shortcut"]) | json_values  # fmt: skip
# Objects shaped somewhat like Slack's, with anything in their fields.
slack_like = st.recursive(
    st.fixed_dictionaries({"type": slack_types}, optional=dict.fromkeys(SLACK_KEYS, json_values)),
    lambda inner: st.fixed_dictionaries({"type": slack_types},
                                        optional={"event": inner, "actions": st.lists(inner),
                                                  "view": inner, "container": inner,
                                                  "authorizations": st.lists(inner)}),
    max_leaves=4,
)  # fmt: skip


@pytest.fixture(autouse=True)
def _quiet_bolt(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="slack_bolt")


METHODS = ("POST", "GET", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW")


@given(body=st.binary(max_size=2048), headers=headers, method=st.sampled_from(METHODS))
def test_arbitrary_bytes_and_headers_never_get_a_5xx(edge, body, headers, method) -> None:  # noqa: ANN001
    app, _store = edge
    answer = call_wsgi(app, body, headers, method=method)
    assert answer.status < 500, answer


@given(body=st.binary(max_size=2048), content_type=content_types, extra=headers)
def test_signed_arbitrary_bytes_never_get_a_5xx(edge, body, content_type, extra) -> None:  # noqa: ANN001
    app, _store = edge
    answer = call_wsgi(app, body, {**extra, "Content-Type": content_type, **signed_headers(body)})
    assert answer.status < 500, answer


@given(payload=slack_like, as_form=st.booleans())
def test_signed_slack_shaped_json_never_gets_a_5xx(edge, payload, as_form) -> None:  # noqa: ANN001
    from urllib.parse import urlencode

    app, _store = edge
    text = json.dumps(payload)
    if as_form:
        body, content_type = urlencode({"payload": text}).encode(), FORM
    else:
        body, content_type = text.encode(), "application/json"
    answer = call_wsgi(app, body, {"Content-Type": content_type, **signed_headers(body)})
    assert answer.status < 500, (answer, payload)


@given(fields=st.dictionaries(st.sampled_from(["command", "text", "user_id", "channel_id",
                                               "team_id", "trigger_id", "response_url",
                                               "payload", "ssl_check", "token"]),
                              st.text(max_size=30), max_size=8))  # fmt: skip
def test_signed_arbitrary_form_fields_never_get_a_5xx(edge, fields) -> None:  # noqa: ANN001
    from urllib.parse import urlencode

    app, _store = edge
    body = urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    answer = call_wsgi(app, body, headers)
    assert answer.status < 500, (answer, fields)
