"""The scenario fakes hold up against the real slack_sdk and slack_bolt.

If these fail, scenario tests built on the fakes would prove nothing, so each behaviour the
app relies on (URLs, response shapes, retries, signatures) is checked with the real client.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.request import Request, urlopen

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.scenario.fake_slack import FakeSlack
from tests.scenario.slack_requests import (
    SlackClientSim,
    block_action,
    message_event,
    sign,
    slash_command,
)

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.base_url, timeout=5)


def test_auth_test_answers_with_the_bot_identity(fake: FakeSlack, client: WebClient) -> None:
    resp = client.auth_test()

    assert resp["ok"] is True
    assert resp["user_id"] == "UBOT"
    assert resp["team_id"] == "T1"
    assert resp["bot_id"] == "B1"
    assert resp["is_enterprise_install"] is False
    assert fake.base_url.endswith("/api/")
    [call] = fake.calls_to("auth.test")
    assert call.token == TOKEN
    assert call.path == "/api/auth.test"


def test_post_message_returns_increasing_ts_and_records_blocks(
    fake: FakeSlack, client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]

    first = client.chat_postMessage(channel="D1", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="D1", text="again", thread_ts=first["ts"])

    assert first["channel"] == "D1"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["ts"] == first["ts"]
    assert first["message"]["user"] == "UBOT"
    assert first["message"]["blocks"] == blocks
    calls = fake.wait_for("chat.postMessage", count=2)
    assert calls[0].params["blocks"] == blocks
    assert calls[1].params["thread_ts"] == first["ts"]


def test_form_encoded_json_strings_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    """Form-encoded calls carry blocks as a JSON string; the fake records the structure."""
    blocks = [{"type": "divider"}]

    params = {"channel": "D1", "ts": "1.1", "blocks": json.dumps(blocks)}
    client.api_call("chat.update", params=params)

    assert fake.calls_to("chat.update")[0].params["blocks"] == blocks


def test_rate_limit_is_retried_after_retry_after(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    retrying = WebClient(
        token=TOKEN,
        base_url=fake.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )

    resp = retrying.chat_postMessage(channel="D1", text="hello")

    assert resp["ok"] is True
    first, second = fake.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0  # the handler honoured Retry-After


def test_rate_limit_without_retry_handler_surfaces_retry_after(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="D1", text="hello")

    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "7"


def test_server_error_surfaces_as_slack_api_error(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=500, times=1)

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="D1", text="hello")

    assert err.value.response.status_code == 500
    assert err.value.response["error"] == "internal_error"
    assert client.chat_postMessage(channel="D1", text="hello")["ok"] is True  # only once
    assert len(fake.calls_to("chat.postMessage")) == 2


@pytest.mark.parametrize(("token", "error"), [(None, "not_authed"), ("xoxp-user", "invalid_auth")])
def test_bad_tokens_are_rejected(fake: FakeSlack, token: str | None, error: str) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token=token, base_url=fake.base_url).auth_test()

    assert err.value.response["error"] == error
    assert fake.calls_to("auth.test")[0].token == token


def test_users_info_returns_configured_profile(fake: FakeSlack, client: WebClient) -> None:
    fake.users["U1"] = {"name": "anna", "real_name": "Anna Agent", "image_72": "https://a/72"}

    user = client.users_info(user="U1")["user"]

    assert user["id"] == "U1"
    assert user["name"] == "anna"
    assert user["real_name"] == "Anna Agent"
    assert user["profile"]["real_name"] == "Anna Agent"
    assert user["profile"]["image_72"] == "https://a/72"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"


def test_users_info_generates_profiles_when_no_directory(client: WebClient) -> None:
    user = client.users_info(user="U9")["user"]

    assert user["id"] == "U9"
    assert user["profile"]["real_name"]
    assert user["profile"]["image_72"].startswith("https://")


def test_other_methods_answer_in_slack_shapes(fake: FakeSlack, client: WebClient) -> None:
    fake.usergroups["S1"] = ["U1", "U2"]

    assert client.conversations_open(users="U1")["channel"]["id"] == "DU1"
    assert client.conversations_info(channel="DU1")["channel"]["is_im"] is True
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S404")
    view = client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"]
    assert view["id"].startswith("V") and view["type"] == "home"
    assert fake.calls_to("views.publish")[0].params["view"]["type"] == "home"
    assert client.chat_postEphemeral(channel="C1", user="U1", text="x")["message_ts"]
    permalink = client.chat_getPermalink(channel="C1", message_ts="1.2")["permalink"]
    assert "/archives/C1/p" in permalink
    assert client.reactions_add(channel="C1", timestamp="1.2", name="eyes")["ok"] is True
    assert client.api_call("bookmarks.list")["ok"] is True
    assert [c.method for c in fake.calls][-1] == "bookmarks.list"


def test_response_url_records_the_body(fake: FakeSlack) -> None:
    url = fake.response_url("abc")
    body = json.dumps({"text": "done", "response_type": "ephemeral"}).encode()

    with urlopen(Request(url, data=body, headers={"Content-Type": "application/json"})) as r:
        assert json.loads(r.read()) == {"ok": True}

    [call] = fake.wait_for("response_url")
    assert call.params == {"text": "done", "response_type": "ephemeral"}
    assert call.path == "/response/abc"


def test_wait_for_times_out_listing_calls(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()

    with pytest.raises(AssertionError, match=r"(?s)chat\.postMessage.*calls seen:.*auth\.test"):
        fake.wait_for("chat.postMessage", timeout=0.1)


def test_wait_for_wakes_on_calls_from_other_threads(fake: FakeSlack, client: WebClient) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="late")).start()

    [call] = fake.wait_for(
        "chat.postMessage", timeout=2, where=lambda c: c.params["text"] == "late"
    )

    assert call.params["channel"] == "C1"


def test_latency_delays_responses() -> None:
    with FakeSlack(latency=(0.05, 0.05)) as slow:
        started = time.monotonic()
        WebClient(token=TOKEN, base_url=slow.base_url).auth_test()
        assert time.monotonic() - started >= 0.05


def test_sign_matches_slack_sdk_signature_verifier() -> None:
    body = json.dumps(message_event("U1", "hello", "D1"))
    headers = sign(body, SECRET)

    verifier = SignatureVerifier(SECRET)
    timestamp = headers["X-Slack-Request-Timestamp"]
    assert verifier.is_valid(body, timestamp, headers["X-Slack-Signature"])
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid(body, timestamp, headers["X-Slack-Signature"])


# -- end to end: SlackClientSim -> a real Bolt app -> FakeSlack ------------------------------


def _serve_bolt(app: App) -> ThreadingHTTPServer:
    """Serve a Bolt app on /slack/events with a threading stdlib server (ack is prompt)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            bolt_resp = app.dispatch(BoltRequest(body=body, headers=dict(self.headers)))
            data = bolt_resp.body.encode()
            self.send_response(bolt_resp.status)
            for name, values in bolt_resp.headers.items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval keeps shutdown() (and so the test) fast.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def test_signed_requests_drive_a_real_bolt_app(fake: FakeSlack) -> None:
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=fake.base_url))

    @app.event("message")
    def echo(event: dict[str, Any], say: Any) -> None:
        say(text=f"echo: {event['text']}", thread_ts=event.get("thread_ts"))

    @app.command("/kb")
    def kb(ack: Any, respond: Any, command: dict[str, str]) -> None:
        ack()
        respond(text=f"searching {command['text']}")

    @app.action("helpful")
    def helpful(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.reactions_add(channel=body["channel"]["id"], timestamp="1.1", name="+1")

    server = _serve_bolt(app)
    try:
        host, port = server.server_address[:2]
        slack = SlackClientSim(f"http://{host}:{port}", SECRET)

        assert slack.send_event(message_event("U1", "hello", "D1")).status == 200
        [posted] = fake.wait_for("chat.postMessage", timeout=5)
        assert (posted.params["channel"], posted.params["text"]) == ("D1", "echo: hello")
        assert posted.token == TOKEN

        cmd = slash_command("/kb", "refunds", "U1", response_url=fake.response_url("r1"))
        assert slack.send_command(cmd).status == 200
        [responded] = fake.wait_for("response_url", timeout=5)
        assert responded.params["text"] == "searching refunds"

        assert slack.send_action(block_action("helpful", "yes", "U1")).status == 200
        fake.wait_for("reactions.add", timeout=5)

        assert slack.send_event(message_event("U1", "x", "D1"), bad_signature=True).status == 401
        stale = int(time.time()) - 600  # Bolt rejects timestamps older than 5 minutes
        assert slack.send_event(message_event("U1", "x", "D1"), timestamp=stale).status == 401
        retried = slack.send_event(message_event("U1", "again", "D1"), retry_num=1)
        assert retried.status == 200 and retried.elapsed < 3
    finally:
        server.shutdown()
        server.server_close()
