"""Hostile requests: the real app over HTTP (waitress + Bolt + fake Slack), or its WSGI edge."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot.bootstrap import build_services
from bot.slack.app import create_app, start_background
from bot.slack.server import SlackEdge, wsgi_app
from bot.store.tables import metadata
from bot.store.unit_of_work import Store
from tests.scenario.conftest import SECRET, Running, running, settings_for  # noqa: F401
from tests.scenario.fake_slack import FakeSlack

__all__ = ["SECRET", "Answer", "post_raw", "signed_headers", "stored_rows", "call_wsgi",
           "slack_calls", "serve_in_thread"]  # fmt: skip


def slack_calls(fake: FakeSlack) -> list:
    """What the app asked of Slack, past the auth.test Bolt makes when it is built."""
    return [call for call in fake.calls if call.method != "auth.test"]


def signed_headers(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict:
    """Slack's two signature headers over the raw bytes (any bytes, UTF-8 or not)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


@dataclass
class Answer:
    """What the app answered to one raw request."""

    status: int
    body: bytes
    headers: dict[str, str]


def post_raw(
    base_url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/slack/events",
    timeout: float = 10.0,
) -> Answer:
    """One request with exactly these bytes and headers (urllib would add or fix some)."""
    where = urlsplit(base_url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.read(), {k.lower(): v for k, v in
                                                         response.getheaders()})  # fmt: skip
    finally:
        connection.close()


def stored_rows(store: Store) -> dict[str, int]:
    """How many rows each table holds (the schema's own table excluded)."""
    with store.unit_of_work() as uow:
        return {
            table.name: int(uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


def call_wsgi(
    edge: SlackEdge,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/slack/events",
    environ: dict | None = None,
) -> Answer:
    """Call the WSGI application as a server would, without a network."""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    env.update(environ or {})
    started: list = []
    chunks = edge(env, lambda status, response_headers, exc_info=None: started.extend(
        [status, response_headers]))  # fmt: skip
    data = b"".join(chunks)
    return Answer(int(started[0].split()[0]), data, {k.lower(): v for k, v in started[1]})


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SlackEdge, Store]]:
    """The WSGI edge of an app built by `create_app`, on its own database and fake Slack;
    shared by a module's property tests (hypothesis calls a test many times)."""
    with FakeSlack() as fake:
        settings = settings_for(fake, Path(tmp_path_factory.mktemp("edge")))
        services = build_services(settings)
        app, _ctx = create_app(settings, services)
        try:
            yield wsgi_app(app), services.store  # type: ignore[misc]
        finally:
            services.store.close()


def serve_in_thread(server: Any) -> Callable[[], None]:
    """Run a waitress server on a daemon thread; returns what stops it."""
    closing = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except OSError:
            if not closing.is_set():  # closing the socket under select() is expected
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop() -> None:
        closing.set()
        server.close()
        thread.join(timeout=5)

    return stop


@pytest.fixture
def production(tmp_path: Path) -> Iterator[tuple[str, FakeSlack, Store]]:
    """The app behind the server `supportbot run --http` builds (its size limits included)."""
    from bot.slack.server import create_server

    with FakeSlack() as fake:
        settings = settings_for(fake, tmp_path)
        services = build_services(settings)
        app, ctx = create_app(settings, services)
        background = start_background(ctx)
        server = create_server(app, "127.0.0.1", 0, threads=2)
        stop = serve_in_thread(server)
        try:
            yield f"http://127.0.0.1:{server.effective_port}", fake, services.store  # type: ignore[union-attr]
        finally:
            stop()
            background.stop()
            services.store.close()
