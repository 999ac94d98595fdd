"""Signed requests shaped like the ones Slack sends to an app's Request URL.

Builders return the Events API envelope, slash-command form fields and block_actions
payload with the fields Slack documents (trimmed to what apps read); :class:`SlackClientSim`
signs and posts them the way Slack does:

* ``X-Slack-Request-Timestamp``: Unix seconds;
* ``X-Slack-Signature``: ``"v0=" + hex(HMAC-SHA256(signing_secret, f"v0:{timestamp}:{body}"))``;
* on redelivery, ``X-Slack-Retry-Num`` (1, 2, 3) and ``X-Slack-Retry-Reason``
  (e.g. ``http_timeout``) with the same ``event_id``.

Only the stdlib is used, so the sender exercises the app's real HTTP stack.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

BOT_USER_ID = "UBOT"  # matches FakeSlack's default bot_user_id
APP_ID = "A1"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated field Slack still sends

_ts_counter = itertools.count(1)


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two signature headers Slack adds to a request with this exact body."""
    ts = int(time.time()) if timestamp is None else timestamp
    basestring = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def new_ts() -> str:
    """A unique, increasing Slack-style message timestamp near now."""
    return f"{int(time.time())}.{next(_ts_counter):06d}"


def new_event_id() -> str:
    return "Ev" + uuid.uuid4().hex[:10].upper()


def _envelope(event: dict[str, Any], team: str, event_id: str | None) -> dict[str, Any]:
    """Wrap an event in the event_callback envelope (one truncated authorization)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team,
        "context_team_id": team,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(float(event["event_ts"])),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }


def message_event(
    user: str,
    text: str,
    channel: str,
    channel_type: str = "im",
    ts: str | None = None,
    thread_ts: str | None = None,
    event_id: str | None = None,
    team: str = "T1",
    bot_id: str | None = None,
    subtype: str | None = None,
) -> dict[str, Any]:
    """A ``message`` event in its event_callback envelope (DM by default)."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "team": team,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if bot_id is None and subtype is None:
        event["client_msg_id"] = str(uuid.uuid4())  # only human-typed messages carry one
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if bot_id is not None:
        event["bot_id"] = bot_id
    if subtype is not None:
        event["subtype"] = subtype
    return _envelope(event, team, event_id)


def app_home_opened_event(user: str, team: str = "T1") -> dict[str, Any]:
    """An ``app_home_opened`` event for the Home tab (first open: no ``view`` yet)."""
    ts = new_ts()
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user,
        "tab": "home",
        "event_ts": ts,
    }
    return _envelope(event, team, None)


def slash_command(
    command: str,
    text: str,
    user: str,
    channel: str = "C1",
    response_url: str = "",
    trigger_id: str = "1.2.3",
) -> dict[str, str]:
    """The form fields of a slash-command request (all strings, as Slack form-encodes them)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": "T1",
        "team_domain": "fake-workspace",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else channel.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_action(
    action_id: str,
    value: str,
    user: str,
    channel: str = "D1",
    message_ts: str = "1.1",
    container: dict[str, Any] | None = None,
    response_url: str = "",
    user_team: str = "T1",
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button click (`user_team`: the presser's workspace,
    another than the app's for an external user of a Slack Connect channel).

    The default container is a message in ``channel``; pass ``{"type": "view", "view_id":
    ...}`` for a click on the Home tab or a modal, which carries a ``view`` instead.
    """
    container = container or {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user,
            "username": user.lower(),
            "name": user.lower(),
            "team_id": user_team,
        },  # fmt: skip
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": "1.2.3",
        "team": {"id": "T1", "domain": "fake-workspace"},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"block-{action_id}",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": new_ts(),
            }
        ],
    }
    if container.get("type") == "view":
        payload["view"] = {"id": container.get("view_id", "V1"), "type": "home"}
    else:
        payload["channel"] = {"id": channel, "name": "directmessage"}
        payload["message"] = {
            "type": "message",
            "user": BOT_USER_ID,
            "ts": container.get("message_ts", message_ts),
            "text": "",
        }
        payload["response_url"] = response_url
    return payload


def user_select_action(
    action_id: str, block_id: str, selected_user: str, user: str, channel: str,
    message_ts: str = "1.1",
) -> dict[str, Any]:
    """A ``block_actions`` payload for a users_select pick (it has no ``value``)."""
    payload = block_action(action_id, "", user, channel=channel, message_ts=message_ts)
    payload["actions"] = [{
        "type": "users_select", "action_id": action_id, "block_id": block_id,
        "selected_user": selected_user, "action_ts": new_ts(),
    }]  # fmt: skip
    return payload


def reaction_event(user: str, reaction: str, channel: str, ts: str, team: str = "T1") -> dict:
    """A ``reaction_added`` event on message `ts` in `channel`."""
    event = {
        "type": "reaction_added", "user": user, "reaction": reaction, "item_user": BOT_USER_ID,
        "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": new_ts(),
    }  # fmt: skip
    return _envelope(event, team, None)


def message_changed_event(
    user: str, text: str, channel: str, ts: str, *, thread_ts: str | None = None,
    channel_type: str = "im", previous: str = "",
) -> dict[str, Any]:
    """A ``message_changed`` event: the message `ts` now reads `text`."""
    message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts,
                               "edited": {"user": user, "ts": new_ts()}}  # fmt: skip
    before: dict[str, Any] = {"type": "message", "user": user, "text": previous, "ts": ts}
    if thread_ts:
        message["thread_ts"] = before["thread_ts"] = thread_ts
    now_ts = new_ts()
    event = {"type": "message", "subtype": "message_changed", "hidden": True,
             "channel": channel, "channel_type": channel_type, "ts": now_ts,
             "event_ts": now_ts, "message": message, "previous_message": before}  # fmt: skip
    return _envelope(event, "T1", None)


def message_deleted_event(
    user: str, channel: str, ts: str, *, thread_ts: str | None = None,
    channel_type: str = "im", previous: str = "",
) -> dict[str, Any]:
    """A ``message_deleted`` event for message `ts`."""
    before: dict[str, Any] = {"type": "message", "user": user, "text": previous, "ts": ts}
    if thread_ts:
        before["thread_ts"] = thread_ts
    now_ts = new_ts()
    event = {"type": "message", "subtype": "message_deleted", "hidden": True,
             "channel": channel, "channel_type": channel_type, "ts": now_ts,
             "deleted_ts": ts, "event_ts": now_ts, "previous_message": before}  # fmt: skip
    return _envelope(event, "T1", None)


def message_shortcut(
    callback_id: str, user: str, channel: str, message: dict[str, Any], user_team: str = "T1"
) -> dict[str, Any]:
    """A ``message_action`` payload: `user` ran a message shortcut on `message`."""
    return {
        "type": "message_action", "callback_id": callback_id, "trigger_id": "1.2.3",
        "action_ts": new_ts(), "team": {"id": "T1", "domain": "fake-workspace"},
        "user": {"id": user, "name": user.lower(), "team_id": user_team},
        "channel": {"id": channel, "name": channel.lower()}, "is_enterprise_install": False,
        "enterprise": None, "api_app_id": APP_ID, "token": VERIFICATION_TOKEN,
        "message_ts": message.get("ts"), "message": message,
        "response_url": "https://hooks.slack.com/app/T1/1/x",
    }  # fmt: skip


def view_submission(
    callback_id: str, user: str, values: dict[str, dict[str, Any]], private_metadata: str = "",
    view_id: str = "V00000001",
) -> dict[str, Any]:
    """A ``view_submission`` payload: `user` submitted the modal with these state values."""
    return {
        "type": "view_submission", "team": {"id": "T1", "domain": "fake-workspace"},
        "user": {"id": user, "name": user.lower(), "team_id": "T1"}, "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN, "trigger_id": "1.2.3", "is_enterprise_install": False,
        "view": {
            "id": view_id, "type": "modal", "callback_id": callback_id, "team_id": "T1",
            "private_metadata": private_metadata, "state": {"values": values}, "hash": "1.1",
            "app_id": "A1", "bot_id": "B1", "blocks": [],
        },
        "response_urls": [],
    }  # fmt: skip


@dataclass
class Response:
    """What the app answered. Header names are lower-cased for easy lookup."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds from send to full body, what Slack's 3 s timeout sees

    def json(self) -> Any:
        return json.loads(self.body)


class SlackClientSim:
    """Sends signed requests to an app as Slack would (events, commands, actions)."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        events_path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.events_path = events_path
        self.timeout = timeout

    def send_event(
        self,
        envelope: dict[str, Any],
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> Response:
        """POST an Events API envelope as JSON; ``retry_num`` marks a redelivery."""
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return self._post_signed(
            json.dumps(envelope), "application/json", timestamp, bad_signature, headers
        )

    def send_command(
        self, fields: dict[str, str], timestamp: int | None = None, bad_signature: bool = False
    ) -> Response:
        """POST slash-command fields form-encoded."""
        return self._post_signed(
            urlencode(fields), "application/x-www-form-urlencoded", timestamp, bad_signature
        )

    def send_action(
        self, payload: dict[str, Any], timestamp: int | None = None, bad_signature: bool = False
    ) -> Response:
        """POST an interactivity payload as ``payload=<json>``, form-encoded."""
        body = urlencode({"payload": json.dumps(payload)})
        return self._post_signed(
            body, "application/x-www-form-urlencoded", timestamp, bad_signature
        )

    def get(self, path: str) -> Response:
        """A plain GET (health checks and the like); no signature."""
        return self._send(Request(self.base_url + path, method="GET"))

    def _post_signed(
        self,
        body: str,
        content_type: str,
        timestamp: int | None,
        bad_signature: bool,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        secret = self.signing_secret + ("-wrong" if bad_signature else "")
        headers = {"Content-Type": content_type, **sign(body, secret, timestamp)}
        headers.update(extra_headers or {})
        request = Request(
            self.base_url + self.events_path,
            data=body.encode("utf-8"),
            headers=headers,
            method="POST",
        )
        return self._send(request)

    def _send(self, request: Request) -> Response:
        started = time.monotonic()
        try:
            with urlopen(request, timeout=self.timeout) as resp:
                status, raw, headers = resp.status, resp.read(), resp.headers
        except HTTPError as err:  # 4xx/5xx are answers to assert on, not test errors
            status, raw, headers = err.code, err.read(), err.headers
        return Response(
            status=status,
            body=raw.decode("utf-8", errors="replace"),
            headers={k.lower(): v for k, v in headers.items()},
            elapsed=time.monotonic() - started,
        )
