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
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.scenario.block_kit import MESSAGE_BLOCKS, VIEW_BLOCKS, block_problems, view_problems
from tests.scenario.fake_slack import FakeSlack
from tests.scenario.slack_contract import (
    NEWER_ARGUMENTS,
    NEWER_METHODS,
    SPEC_FILE,
    check_call,
    check_response_url,
    manifest_scopes,
    specs_dir,
)
from tests.scenario.slack_requests import (
    SlackClientSim,
    block_action,
    message_event,
    sign,
    slash_command,
)

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
# Every scope this file's calls need, beyond the manifest's (reactions, files, pins).
ALL_SCOPES = manifest_scopes() | {"reactions:write", "files:read", "files:write", "pins:read"}


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

    params = {"channel": "D1", "ts": "1.1", "text": "x", "blocks": json.dumps(blocks)}
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


def test_other_methods_answer_in_slack_shapes() -> None:
    with FakeSlack(scopes=ALL_SCOPES) as fake:
        _answers_in_slack_shapes(fake, WebClient(token=TOKEN, base_url=fake.base_url, timeout=5))


def _answers_in_slack_shapes(fake: FakeSlack, client: WebClient) -> None:
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
    assert client.api_call("pins.list", params={"channel": "C1"})["ok"] is True
    assert [c.method for c in fake.calls][-1] == "pins.list"


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


def test_wait_for_returns_once_the_fake_has_answered() -> None:
    """A call is recorded on arrival and answered after the latency; a test that waited for
    it reads the history the answer wrote."""
    with FakeSlack(latency=(0.2, 0.2)) as slow:
        client = WebClient(token=TOKEN, base_url=slow.base_url)
        post = threading.Thread(target=client.chat_postMessage, kwargs={"channel": "C1",
                                                                        "text": "hi"})  # fmt: skip
        post.start()
        slow.wait_for("chat.postMessage", timeout=5)
        assert [m["text"] for m in slow.history["C1"]] == ["hi"]
        post.join()


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
        client.chat_postEphemeral(channel=body["channel"]["id"], user="U1", text="thanks")

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
        fake.wait_for("chat.postEphemeral", timeout=5)

        assert slack.send_event(message_event("U1", "x", "D1"), bad_signature=True).status == 401
        stale = int(time.time()) - 600  # Bolt rejects timestamps older than 5 minutes
        assert slack.send_event(message_event("U1", "x", "D1"), timestamp=stale).status == 401
        retried = slack.send_event(message_event("U1", "again", "D1"), retry_num=1)
        assert retried.status == 200 and retried.elapsed < 3
    finally:
        server.shutdown()
        server.server_close()


# -- strictness: the calls Slack would refuse ------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(text: str = "Go", action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text},
            "action_id": action_id, **extra}  # fmt: skip


def _actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def _post(blocks: list[dict[str, Any]], text: str | None = "fallback") -> dict[str, Any]:
    params: dict[str, Any] = {"channel": "C1", "blocks": blocks}
    if text is not None:
        params["text"] = text
    return params


def _errors(method: str, params: dict[str, Any], granted: frozenset[str] = ALL_SCOPES) -> list:
    return [p.error for p in check_call(method, params, granted)]


def _details(method: str, params: dict[str, Any]) -> str:
    return " | ".join(p.detail for p in check_call(method, params, ALL_SCOPES))


def test_a_valid_message_with_blocks_passes() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Card"}},
        _section("*hi*"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}] * 10},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        _actions(_button("Claim", "claim", value="7", style="primary"), _button("No", "no")),
        {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a"},
        {"type": "divider", "block_id": "d1"},
    ]

    params = _post(blocks) | {"metadata": {"event_type": "t", "event_payload": {"k": 1}}}
    assert check_call("chat.postMessage", params, ALL_SCOPES) == []
    assert check_call("chat.update", _post(blocks) | {"ts": "1.2"}, ALL_SCOPES) == []


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([{"type": "divider"}] * 51, "51 blocks, more than 50"),
        ([_section("x" * 3001)], "3001 characters, more than 3000"),
        ([_section("")], "non-empty"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}] * 11}], "11 items"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "a" * 2001}]}], "2001"),
        ([{"type": "section"}], "needs text or fields"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "plain_text"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "11 items"),
        ([_actions(*[_button(action_id=f"b{n}") for n in range(26)])], "26 items"),
        ([_actions()], "non-empty list"),
        ([_actions(_button("b" * 76))], "76 characters, more than 75"),
        ([_actions({**_button(), "text": {"type": "mrkdwn", "text": "*b*"}})], "plain_text"),
        ([_actions(_button(action_id="a" * 256))], "action_id: 256"),
        ([_actions(_button(value="v" * 2001))], "value: 2001"),
        ([_actions(_button(style="green"))], "not primary or danger"),
        ([_actions(_button("A", "same")), _actions(_button("B", "same"))], "'same' is used twice"),
        ([_actions(_button("A", "same"), _button("B", "same"))], "'same' is used twice"),
        ([{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}], "twice"),
        ([{"type": "image", "image_url": "https://example.com/a.png"}], "needs alt_text"),
        ([{"type": "image", "alt_text": "a"}], "image_url or slack_file"),
        ([{"type": "sektion", "text": "typo"}], "unknown block type 'sektion'"),
        ("[not a list]", "blocks must be a list"),
    ],
)
def test_each_block_kit_limit_is_caught(blocks: Any, problem: str) -> None:
    assert _errors("chat.postMessage", _post(blocks)) == ["invalid_blocks"]
    assert problem in _details("chat.postMessage", _post(blocks))


def test_message_text_and_fallback_rules() -> None:
    assert _errors("chat.postMessage", {"channel": "C1", "text": "x" * 40_001}) == [
        "invalid_blocks"
    ]
    assert _errors("chat.postMessage", {"channel": "C1"}) == ["no_text"]
    [missing] = check_call("chat.postMessage", _post([_section("hi")], text=None), ALL_SCOPES)
    # Slack posts it (with a warning): recorded, not refused.
    assert (missing.error, missing.refused) == ("missing_text_fallback", False)
    assert _errors("chat.postEphemeral", _post([_section("hi")], " ") | {"user": "U1"}) == [
        "missing_text_fallback"
    ]
    bad_metadata = {"channel": "C1", "text": "x", "metadata": {"event_type": "t"}}
    assert _errors("chat.postMessage", bad_metadata) == ["invalid_metadata_format"]


@given(st.integers(min_value=1, max_value=3100))
def test_section_text_is_refused_exactly_past_3000(length: int) -> None:
    refused = _errors("chat.postMessage", _post([_section("x" * length)])) != []
    assert refused == (length > 3000)


@given(st.integers(min_value=1, max_value=120), st.sampled_from([MESSAGE_BLOCKS, VIEW_BLOCKS]))
def test_block_count_is_refused_exactly_past_the_surface_limit(count: int, most: int) -> None:
    assert (block_problems([{"type": "divider"}] * count, most) != []) == (count > most)


@given(st.text(min_size=1, max_size=90))
def test_button_text_is_refused_exactly_past_75(text: str) -> None:
    assert (block_problems([_actions(_button(text))]) != []) == (len(text) > 75)


def _modal(**extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"},
            "blocks": [_section("hi")], **extra}  # fmt: skip


def test_views_are_checked_as_modals_and_home_tabs() -> None:
    ok = {"trigger_id": "1.2.abc", "view": _modal()}
    assert check_call("views.open", ok, ALL_SCOPES) == []
    assert view_problems({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []
    long_title = _modal(title={"type": "plain_text", "text": "t" * 25})
    assert "view.title" in " ".join(view_problems(long_title))
    long_submit = _modal(submit={"type": "plain_text", "text": "s" * 25})
    assert "view.submit" in " ".join(view_problems(long_submit))
    assert "private_metadata" in " ".join(view_problems(_modal(private_metadata="m" * 3001)))
    field = {"type": "plain_text_input", "action_id": "why"}
    needs_submit = _modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "Why"},
                                   "element": field}])  # fmt: skip
    assert "needs submit" in " ".join(view_problems(needs_submit))
    assert "101 blocks" in " ".join(
        view_problems({"type": "home", "blocks": [_section("a")] * 101})
    )
    assert _errors("views.open", {"view": _modal()}) == ["invalid_arguments"]  # no trigger_id


def test_methods_and_arguments_follow_the_reference() -> None:
    assert _errors("chat.postMesage", {"channel": "C1", "text": "x"}) == ["unknown_method"]
    assert _errors("chat.postMessage", {"text": "x"}) == ["invalid_arguments"]
    assert "missing required channel" in _details("chat.postMessage", {"text": "x"})
    typo = {"channel": "C1", "text": "x", "thread": "1.2"}
    assert "unknown argument thread" in _details("chat.postMessage", typo)
    assert _errors("reactions.add", {"channel": "C1", "name": "eyes"}) == ["invalid_arguments"]
    upload = {"filename": "a.png", "length": 3}
    assert check_call("files.getUploadURLExternal", upload, ALL_SCOPES) == []


def test_scopes_are_those_the_manifest_grants() -> None:
    granted = manifest_scopes()
    assert {"chat:write", "users:read"} <= granted

    react = {"channel": "C1", "timestamp": "1.2", "name": "eyes"}
    [problem] = check_call("reactions.add", react, frozenset({"chat:write"}))
    assert (problem.error, problem.needed) == ("missing_scope", "reactions:write")
    # A conversation method needs the scope of the conversation's own kind.
    history = {"channel": "D1", "limit": 10}
    assert _errors("conversations.history", history, frozenset({"im:history"})) == []
    assert _errors("conversations.history", history, frozenset({"channels:history"})) == [
        "missing_scope"
    ]
    named = {"channel": "C1", "text": "x", "username": "Anna"}
    assert _errors("chat.postMessage", named, frozenset({"chat:write"})) == ["missing_scope"]
    assert (
        _errors("chat.postMessage", named, frozenset({"chat:write", "chat:write.customize"})) == []
    )


def test_allowances_name_only_what_the_spec_lacks() -> None:
    """Each hand-listed argument is one the 2020 spec misses; once a newer spec lists it, the
    allowance goes (and so does a method the spec learnt)."""
    spec = json.loads((specs_dir() / SPEC_FILE).read_text(encoding="utf-8"))["paths"]
    for method, arguments in NEWER_ARGUMENTS.items():
        listed = {p["name"] for op in spec[f"/{method}"].values() for p in op["parameters"]}
        assert not arguments & listed, method
    assert not {f"/{m}" for m in NEWER_METHODS} & spec.keys()


def test_response_url_bodies_are_checked() -> None:
    assert check_response_url({"text": "done", "response_type": "ephemeral"}) == []
    assert [p.error for p in check_response_url({"txt": "typo"})] == [
        "invalid_arguments", "invalid_arguments"
    ]  # fmt: skip
    assert [p.error for p in check_response_url({"text": "x", "blocks": [_section("")]})] == [
        "invalid_blocks"
    ]


# -- the strict fake over HTTP ------------------------------------------------------------------


def test_an_invalid_call_is_answered_as_slack_does_and_fails_the_test(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x", blocks=[_section("x" * 3001)])

    assert err.value.response["error"] == "invalid_blocks"
    [violation] = fake.violations
    assert violation.method == "chat.postMessage"
    assert "3000" in violation.detail
    assert "test_an_invalid_call_is_answered" in violation.test
    with pytest.raises(AssertionError, match=r"(?s)1 call.*chat\.postMessage: invalid_blocks"):
        fake.check()
    assert fake.violations == []  # reported once


@pytest.fixture
def narrow() -> Iterator[tuple[FakeSlack, WebClient]]:
    """A fake whose token holds two scopes only, whatever the manifest grants."""
    with FakeSlack(scopes=frozenset({"chat:write", "users:read"})) as server:
        yield server, WebClient(token=TOKEN, base_url=server.base_url, timeout=5)


def test_missing_scope_says_what_was_needed_and_provided(
    narrow: tuple[FakeSlack, WebClient],
) -> None:
    fake, client = narrow
    with pytest.raises(SlackApiError) as err:
        client.reactions_add(channel="C1", timestamp="1.2", name="eyes")

    assert err.value.response["error"] == "missing_scope"
    assert err.value.response["needed"] == "reactions:write"
    assert err.value.response["provided"] == "chat:write,users:read"
    assert [v.error for v in fake.take_violations()] == ["missing_scope"]


def test_a_missing_fallback_is_posted_yet_recorded(fake: FakeSlack, client: WebClient) -> None:
    with pytest.warns(UserWarning, match="top-level `text`"):  # slack_sdk warns as well
        assert client.chat_postMessage(channel="C1", blocks=[_section("hi")])["ok"] is True

    assert [v.error for v in fake.take_violations()] == ["missing_text_fallback"]


def _refused_call(client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("nope.nope", json={})


def test_wait_for_raises_as_soon_as_a_call_was_refused(fake: FakeSlack, client: WebClient) -> None:
    threading.Timer(0.05, _refused_call, args=(client,)).start()

    with pytest.raises(AssertionError, match="unknown_method"):
        fake.wait_for("chat.postMessage", timeout=5)


def test_leaving_the_fake_raises_for_refused_calls() -> None:
    with pytest.raises(AssertionError, match="unknown_method"), FakeSlack() as fake:
        _refused_call(WebClient(token=TOKEN, base_url=fake.base_url))


def test_a_failing_test_keeps_its_own_error_and_notes_the_refused_calls() -> None:
    with pytest.raises(KeyError) as err, FakeSlack() as fake:
        _refused_call(WebClient(token=TOKEN, base_url=fake.base_url))
        raise KeyError("the test's own failure")

    assert "unknown_method" in "".join(err.value.__notes__)


def test_a_lenient_fake_accepts_anything() -> None:
    with FakeSlack(strict=False) as fake:
        assert WebClient(token=TOKEN, base_url=fake.base_url).api_call("nope.nope")["ok"] is True
        assert fake.violations == []


def test_invalid_response_url_bodies_are_recorded(fake: FakeSlack) -> None:
    body = json.dumps({"text": "x", "blocks": [{"type": "sektion"}]}).encode()
    request = Request(fake.response_url("r"), data=body,
                      headers={"Content-Type": "application/json"})  # fmt: skip
    with urlopen(request) as r:
        assert json.loads(r.read())["ok"] is False

    assert [v.method for v in fake.take_violations()] == ["response_url"]


# -- the methods the app is about to use --------------------------------------------------------


@pytest.fixture
def full() -> Iterator[tuple[FakeSlack, WebClient]]:
    """A fake whose token holds the reactions and files scopes too."""
    with FakeSlack(scopes=ALL_SCOPES) as server:
        yield server, WebClient(token=TOKEN, base_url=server.base_url, timeout=5)


def test_reactions_are_refused_twice_and_removed_once(full: tuple[FakeSlack, WebClient]) -> None:
    fake, client = full
    where = {"channel": "C1", "timestamp": "1.2", "name": "eyes"}

    assert client.reactions_add(**where)["ok"] is True
    with pytest.raises(SlackApiError, match="already_reacted"):
        client.reactions_add(**where)
    assert fake.reactions[("C1", "1.2")] == {"eyes"}
    assert client.reactions_remove(**where)["ok"] is True
    with pytest.raises(SlackApiError, match="no_reaction"):
        client.reactions_remove(**where)
    assert fake.violations == []


def test_chat_delete_removes_a_posted_message(full: tuple[FakeSlack, WebClient]) -> None:
    fake, client = full
    ts = client.chat_postMessage(channel="C1", text="oops")["ts"]

    assert client.chat_delete(channel="C1", ts=ts).data == {"ok": True, "channel": "C1", "ts": ts}
    assert client.conversations_history(channel="C1")["messages"] == []
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_delete(channel="C1", ts=ts)


def test_chat_update_changes_the_stored_message(full: tuple[FakeSlack, WebClient]) -> None:
    fake, client = full
    ts = client.chat_postMessage(channel="C1", text="waiting")["ts"]

    client.chat_update(channel="C1", ts=ts, text="with Anna")

    [message] = client.conversations_history(channel="C1")["messages"]
    assert message["text"] == "with Anna"


def test_files_upload_v2_shares_the_file_in_the_thread(full: tuple[FakeSlack, WebClient]) -> None:
    fake, client = full
    root = client.chat_postMessage(channel="C1", text="card")["ts"]

    done = client.files_upload_v2(channel="C1", thread_ts=root, content=b"PNG...",
                                  filename="shot.png", initial_comment="from Carla")  # fmt: skip

    file_id = done["file"]["id"]
    [upload] = fake.calls_to("file_upload")
    assert upload.params == {"file_id": file_id, "size": 6}
    complete = fake.calls_to("files.completeUploadExternal")[0].params
    assert complete["files"][0]["id"] == file_id
    replies = client.conversations_replies(channel="C1", ts=root)["messages"]
    shared = next(m for m in replies if m.get("files"))
    assert (shared["text"], shared["thread_ts"]) == ("from Carla", root)
    assert shared["files"][0]["name"] == "shot.png"
    info = client.files_info(file=file_id)["file"]
    assert (info["id"], info["size"], info["mimetype"]) == (file_id, 6, "image/png")
    assert fake.files.content[file_id] == b"PNG..."
    assert fake.violations == []


def test_completing_an_upload_before_sending_its_bytes_is_refused(
    full: tuple[FakeSlack, WebClient],
) -> None:
    fake, client = full
    url = client.files_getUploadURLExternal(filename="a.txt", length=3)
    assert url["upload_url"].startswith(fake.root_url)

    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "a"}])
    assert [v.method for v in fake.take_violations()] == ["files.completeUploadExternal"]
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_info(file="F404")


def test_a_shared_file_downloads_with_the_bot_token_only(full: tuple[FakeSlack, WebClient]) -> None:
    fake, client = full
    file = fake.add_file("UCUSTOMER", "error.png", b"\x89PNG", title="The error")
    url = file["url_private_download"]

    with urlopen(Request(url, headers={"Authorization": f"Bearer {TOKEN}"})) as r:
        assert (r.read(), r.headers["Content-Type"]) == (b"\x89PNG", "image/png")
    with urlopen(url) as r:  # no token: Slack's sign-in page, with a 200
        assert r.status == 200 and b"Sign in" in r.read()
    assert [v.method for v in fake.take_violations()] == ["file_download"]
    assert client.files_info(file=file["id"])["file"]["title"] == "The error"


def test_a_download_needs_the_files_read_scope(narrow: tuple[FakeSlack, WebClient]) -> None:
    fake, _ = narrow
    file = fake.add_file("UCUSTOMER", "a.txt", b"hello")

    request = Request(file["url_private"], headers={"Authorization": f"Bearer {TOKEN}"})
    with urlopen(request) as r:
        assert b"Sign in" in r.read()
    assert "files:read" in fake.take_violations()[0].detail


def test_views_open_push_and_update(full: tuple[FakeSlack, WebClient]) -> None:
    fake, client = full

    opened = client.views_open(trigger_id="1.2.abc", view=_modal())["view"]
    pushed = client.views_push(trigger_id="1.2.def", view=_modal())["view"]
    updated = client.views_update(view_id=opened["id"], view=_modal(private_metadata="7"))["view"]

    assert opened["type"] == "modal" and opened["id"] != pushed["id"]
    assert (updated["id"], updated["private_metadata"]) == (opened["id"], "7")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.api_call("views.open", json={"view": _modal()})
    assert [v.detail for v in fake.take_violations()] == ["missing required trigger_id"]


def test_an_image_of_a_file_slack_does_not_have_is_refused(
    full: tuple[FakeSlack, WebClient],
) -> None:
    fake, client = full
    file = fake.add_file("UBOT", "chart.png", b"\x89PNG")
    image = {"type": "image", "slack_file": {"id": file["id"]}, "alt_text": "chart"}
    home = {"type": "home", "blocks": [image]}

    assert client.views_publish(user_id="U1", view=home)["ok"] is True
    assert client.files_delete(file=file["id"])["ok"] is True
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U1", view=home)
    assert "slack_file" in fake.take_violations()[0].detail
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_delete(file=file["id"])
