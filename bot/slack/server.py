"""HTTP mode: Slack's requests at /slack/events and a health check, on a production server.

The edge answers every request itself before Bolt sees it: the route and method, the size, then
Slack's signature on the raw bytes; only a signed body is decoded and parsed, and a signed
body that does not parse is the sender's mistake (4xx), never ours (5xx).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_sdk.signature import Clock, SignatureVerifier
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.server import create_server as waitress_server

from bot.slack.app import context_of, gateway_store
from bot.slack.health import HealthCheck

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

# Slack's largest requests (a 40,000-character message with its rich-text blocks, a modal's
# whole state) stay far below 1 MiB; anything bigger is not from Slack and is refused before it
# is read, so no one can make the app buffer, hash or store megabytes.
MAX_BODY_BYTES = 1024 * 1024
# Slack's own rule: a request older (or newer) than five minutes may be a replay.
MAX_CLOCK_SKEW_SECONDS = 5 * 60
MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")

_DIGITS = re.compile(r"[0-9]+")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; ASCII digits only, unlike str.isdigit
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # hmac.compare_digest refuses non-ASCII strings

StartResponse = Callable[..., Any]
Answer = tuple[HTTPStatus, str]


class SlackEdge:
    """The WSGI application: `POST /slack/events` for Slack, `GET /healthz` for load balancers."""

    def __init__(
        self, app: App, signing_secret: str, health: HealthCheck, clock: Clock | None = None
    ) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret, clock or Clock())
        self._health = health

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH:
            if method != "GET":
                return _answer(start_response, HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", "GET")])
            return self._healthz(start_response)
        if path != EVENTS_PATH:
            return _answer(start_response, HTTPStatus.NOT_FOUND)
        if method != "POST":
            return _answer(start_response, HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", "POST")])
        admitted = self._admit(environ)
        if isinstance(admitted, tuple):
            status, reason = admitted
            log.warning("refused POST %s from %s: %s (%d)", EVENTS_PATH,
                        environ.get("REMOTE_ADDR", "?"), reason, status)  # fmt: skip
            return _answer(start_response, status)
        return self._dispatch(admitted, start_response)

    def _admit(self, environ: dict) -> Answer | BoltRequest:
        """The request for Bolt, or why it is refused; no check reads more than the last allowed."""
        length = _content_length(environ)
        if length is None:
            return HTTPStatus.BAD_REQUEST, "Content-Length is not a number"
        if length > MAX_BODY_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{length} bytes announced"
        body = _read(environ, length)
        if len(body) > MAX_BODY_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body over the limit"
        if len(body) < length:
            return HTTPStatus.BAD_REQUEST, "body shorter than its Content-Length"
        unsigned = self._unsigned(environ, body)
        if unsigned:
            return HTTPStatus.UNAUTHORIZED, unsigned
        # Signed by Slack from here on: only now is the body decoded and parsed.
        text = body.decode("utf-8")  # _unsigned refused anything else
        media_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if media_type not in MEDIA_TYPES:
            return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"content type {media_type or 'missing'}"
        try:
            request = BoltRequest(body=text, query=environ.get("QUERY_STRING", ""),
                                  headers=_headers(environ))  # fmt: skip
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # Bolt parses the body (JSON, form, `payload=`) and reads its ids as it builds the
            # request: any of these means a body that is not what Slack sends.
            return HTTPStatus.BAD_REQUEST, f"signed but malformed body ({type(exc).__name__})"
        malformed = _malformed(request.body)
        if malformed:
            return HTTPStatus.BAD_REQUEST, f"signed but malformed body ({malformed})"
        return request

    def _unsigned(self, environ: dict, body: bytes) -> str | None:
        """Why the body does not carry a valid Slack signature, or None when it does."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if not timestamp or not signature:
            return "no signature headers"
        if not _TIMESTAMP.fullmatch(timestamp):
            return "timestamp is not a number"
        if abs(self._verifier.clock.now() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return "stale timestamp (a replay, or a clock far off)"
        if not _SIGNATURE.fullmatch(signature):
            return "malformed signature"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return "body is not UTF-8 (Slack sends UTF-8 only)"
        if not self._verifier.is_valid(text, timestamp, signature):
            return "signature does not match"
        return None

    def _dispatch(self, request: BoltRequest, start_response: StartResponse) -> Iterable[bytes]:
        response = self._app.dispatch(request)
        wsgi = WsgiHttpResponse(response.status, response.headers, response.body)
        start_response(wsgi.status, wsgi.get_headers())
        return wsgi.get_body()

    def _healthz(self, start_response: StartResponse) -> Iterable[bytes]:
        health = self._health()
        status = HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE
        return _answer(start_response, status, body=health.as_json())


def wsgi_app(app: App, clock: Clock | None = None) -> SlackEdge:
    """The WSGI application for an app built by `create_app`."""
    ctx = context_of(app)
    health = HealthCheck(gateway_store(ctx.services).engine, ctx.services.knowledge)
    return SlackEdge(app, ctx.settings.slack_signing_secret, health, clock)


def create_server(
    app: App, host: str, port: int, threads: int = 8
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server bound to host:port; raises OSError when it cannot listen there."""
    # waitress refuses bodies over the limit itself (413), chunked ones too, before buffering them.
    return waitress_server(wsgi_app(app), host=host, port=port, threads=threads,
                           ident="supportbot", max_request_body_size=MAX_BODY_BYTES)  # fmt: skip


def serve(app: App, host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted (waitress: a threaded, production-grade WSGI server)."""
    create_server(app, host, port, threads).run()


def _content_length(environ: dict) -> int | None:
    """The announced body size (0 when absent), or None when it is not a number."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return 0
    if not _DIGITS.fullmatch(raw):
        return None
    # int() refuses strings over 4,300 digits; anything past 18 is over the limit anyway.
    return int(raw) if len(raw) <= 18 else MAX_BODY_BYTES + 1


def _read(environ: dict, length: int) -> bytes:
    """At most one byte over the limit: enough to know a body is too big, without reading it."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if environ.get("wsgi.input_terminated") and length == 0:
        return stream.read(MAX_BODY_BYTES + 1)  # a chunked body the server did not count
    return stream.read(length) if length else b""


def _headers(environ: dict) -> dict[str, str]:
    """Request headers the way Bolt names them (lower case, dashes)."""
    headers = {}
    for key, value in environ.items():
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH") or key.startswith("HTTP_"):
            name = key[5:] if key.startswith("HTTP_") else key
            headers[name.lower().replace("_", "-")] = value
    return headers


# The fields Bolt's middleware and our listeners read without checking, with the types Slack
# sends them as. Slack never breaks these, so a signed body that does is refused (400) here,
# rather than failing halfway through Bolt (500) or in a listener after the 200.
_TEXT = ("type", "event_id", "team_id", "user_id", "channel_id", "api_app_id", "token",
         "trigger_id", "response_url", "command", "text", "callback_id")  # fmt: skip
_OBJECTS = ("user", "channel", "view", "container", "message", "state")
_NULLABLE_OBJECTS = ("team", "enterprise")  # Slack sends null for these; never for the others
_LISTS = ("actions", "authorizations")
_EVENT_TEXT = ("type", "ts", "thread_ts", "event_ts", "text", "subtype", "bot_id",
               "channel_type", "team", "client_msg_id", "tab")  # fmt: skip
_EVENT_LISTS = ("blocks", "attachments", "files")
_EVENT_OBJECTS = ("message", "previous_message")
# Only in these events are `user` and `channel` ids (in user_change, channel_created... objects).
_EVENTS_WITH_IDS = ("message", "app_mention", "app_home_opened")
# What Slack always sends with the events the app answers, and the listeners index directly.
_EVENT_REQUIRED = {"message": ("channel", "ts"), "app_mention": ("channel", "ts"),
                   "app_home_opened": ("user",)}  # fmt: skip


def _malformed(body: Any) -> str | None:
    """What in a parsed body is not shaped as Slack sends it, or None."""
    if not isinstance(body, dict):
        return "not an object"
    problem = _wrong_types(body, _TEXT, _OBJECTS, _LISTS) or _wrong_types(
        body, (), _NULLABLE_OBJECTS, (), nullable=True
    )
    if problem:
        return problem
    for key in _LISTS:
        if any(not isinstance(item, dict) for item in body.get(key) or ()):
            return f"{key} holds a non-object"
    if "event" in body or body.get("type") == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event is not an object with a type"
        ids = ("user", "channel") if event["type"] in _EVENTS_WITH_IDS else ()
        problem = _wrong_types(event, _EVENT_TEXT + ids, _EVENT_OBJECTS, _EVENT_LISTS)
        if problem:
            return f"event.{problem}"
        missing = [key for key in _EVENT_REQUIRED.get(event["type"], ()) if not event.get(key)]
        if missing:
            return f"event has no {missing[0]}"
    if body.get("type") == "block_actions":
        actions = body.get("actions") or [{}]
        if not all(isinstance(a.get("action_id"), str) for a in actions):
            return "an action has no action_id"
        if not isinstance((body.get("user") or {}).get("id"), str):
            return "user has no id"
    return None


def _wrong_types(
    data: dict,
    text: tuple[str, ...],
    objects: tuple[str, ...],
    lists: tuple[str, ...],
    nullable: bool = False,
) -> str | None:
    """The first field of `data` that is present and of the wrong type. Text may be null
    (the listeners read it with `or`), objects and lists only when `nullable`."""
    for keys, kind, name in ((text, str, "text"), (objects, dict, "an object"),
                             (lists, list, "a list")):  # fmt: skip
        for key in keys:
            if key not in data or (data[key] is None and (kind is str or nullable)):
                continue
            if not isinstance(data[key], kind):
                return f"{key} is not {name}"
    return None


def _answer(
    start_response: StartResponse,
    status: HTTPStatus,
    headers: list[tuple[str, str]] | None = None,
    body: dict[str, object] | None = None,
) -> Iterable[bytes]:
    """A short JSON answer; refusals say no more than their status."""
    data = json.dumps(body if body is not None else {"error": status.phrase.lower()}).encode()
    start_response(f"{status.value} {status.phrase}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"), *(headers or []),
    ])  # fmt: skip
    return [data]
