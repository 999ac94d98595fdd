"""The wire side of the fake Slack Web API: reading request bodies, writing JSON replies,
the shapes of a few objects Slack returns."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from tests.scenario.fake_slack import FakeSlack


def maybe_json(value: Any) -> Any:
    """A JSON string the client sent inside a form, decoded; anything else as it is."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def read_raw(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body as sent (file uploads are raw bytes)."""
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Parse a JSON or form-encoded body; other bodies (multipart uploads) give {}."""
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            body = json.loads(text)
        except ValueError:
            return {"_raw": text}
        return body if isinstance(body, dict) else {"_json": body}
    if "x-www-form-urlencoded" in content_type or not content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    return {}


class Handler(BaseHTTPRequestHandler):
    fake: FakeSlack  # set on the subclass make_handler builds

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.fake._handle(self)

    do_GET = do_POST  # WebClient always POSTs; GET is accepted for curl-style pokes

    def reply(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def reply_raw(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        """A non-JSON answer: a file's bytes, the upload service's "OK", a sign-in page."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; the calls list is the log


def make_handler(fake: FakeSlack) -> type[Handler]:
    """A request handler class bound to `fake`."""
    return type("FakeSlackHandler", (Handler,), {"fake": fake})


def channel_info(channel: str) -> dict[str, Any]:
    """conversations.info's channel object; the id's first letter says what kind it is."""
    is_im = channel.startswith("D")
    info: dict[str, Any] = {
        "id": channel,
        "is_channel": channel.startswith("C"),
        "is_group": channel.startswith("G"),
        "is_im": is_im,
        "is_mpim": False,
        "is_private": not channel.startswith("C"),
        "is_archived": False,
    }
    if is_im:
        info["user"] = channel[1:]
    else:
        info["name"] = channel.lower()
    return info
