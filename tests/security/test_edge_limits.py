"""The edge's limits, one at a time: body size before reading, timestamps at the boundary."""

from __future__ import annotations

import json
import socket
import time

from slack_sdk.signature import Clock

from bot.slack.server import MAX_BODY_BYTES, MAX_CLOCK_SKEW_SECONDS, SlackEdge
from tests.scenario.slack_requests import message_event
from tests.security.conftest import call_wsgi, signed_headers, slack_calls, stored_rows

EVENT = json.dumps(message_event("UCUSTOMER", "hello", "DCUSTOMER")).encode()
JSON = {"Content-Type": "application/json"}


class Unreadable:
    """A request body that must not be read."""

    def read(self, *_args: object) -> bytes:
        raise AssertionError("the body was read")


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def raw_exchange(base_url: str, head: bytes, body_chunks: list[bytes] = ()) -> bytes:
    """Send a request's bytes by hand (a lying Content-Length, chunks) and read the answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(head)
        for chunk in body_chunks:
            try:
                connection.sendall(chunk)
            except OSError:  # the server answered and closed before taking it all: fine
                break
        connection.settimeout(5)
        return connection.recv(4096)


def test_an_announced_oversize_body_is_refused_unread(edge) -> None:  # noqa: ANN001
    app, _store = edge
    environ = {"wsgi.input": Unreadable(), "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1)}
    assert call_wsgi(app, headers=JSON, environ=environ).status == 413
    environ["CONTENT_LENGTH"] = "9" * 5000  # more digits than int() takes
    assert call_wsgi(app, headers=JSON, environ=environ).status == 413


def test_a_content_length_that_is_not_a_number_or_lies_gets_400(edge) -> None:  # noqa: ANN001
    app, _store = edge
    for length in ("abc", "-1", "1e3", "١٢"):
        environ = {"wsgi.input": Unreadable(), "CONTENT_LENGTH": length}
        assert call_wsgi(app, EVENT, JSON, environ=environ).status == 400
    too_long = {"CONTENT_LENGTH": str(len(EVENT) + 10)}  # the client hung up early
    assert call_wsgi(app, EVENT, {**JSON, **signed_headers(EVENT)}, environ=too_long).status == 400


def test_the_server_refuses_a_huge_announced_body_without_waiting_for_it(production) -> None:  # noqa: ANN001
    base_url, fake, store = production
    started = time.monotonic()
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000000000\r\n\r\n"
    )
    answer = raw_exchange(base_url, head)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert time.monotonic() - started < 3
    assert set(stored_rows(store).values()) == {0} and slack_calls(fake) == []


def test_the_server_refuses_an_oversized_chunked_body(production) -> None:  # noqa: ANN001
    base_url, fake, store = production
    chunk = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (MAX_BODY_BYTES // len(chunk) + 2)
    answer = raw_exchange(base_url, b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                          [*chunks, b"0\r\n\r\n"])  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert set(stored_rows(store).values()) == {0} and slack_calls(fake) == []


def test_the_server_passes_a_small_chunked_signed_body(production) -> None:  # noqa: ANN001
    base_url, fake, _store = production
    headers = signed_headers(EVENT)
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n"
            + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n")  # fmt: skip
    answer = raw_exchange(base_url, head, [b"%x\r\n%s\r\n0\r\n\r\n" % (len(EVENT), EVENT)])
    assert answer.startswith(b"HTTP/1.1 200"), answer
    fake.wait_for("chat.postMessage")


def test_timestamps_are_accepted_within_five_minutes_and_refused_past_them(edge) -> None:  # noqa: ANN001
    app, _store = edge
    now = float(int(time.time()))
    limit = MAX_CLOCK_SKEW_SECONDS  # Bolt checks again, by the real clock: keep a second clear
    for skew, status in ((limit - 1, 200), (1 - limit, 200), (limit + 1, 401), (-limit - 1, 401)):
        clocked = SlackEdge(app._app, "scenario-signing-secret", app._health, FixedClock(now))
        body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
        headers = {**JSON, **signed_headers(body, timestamp=int(now) + skew)}
        assert call_wsgi(clocked, body, headers).status == status, skew
