"""HTTP mode: Slack's requests at /slack/events and a health check, on a production server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def wsgi_app(app: App) -> Callable:
    """A WSGI application: Bolt for Slack's path, `GET /healthz` for load balancers."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps({"ok": True}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])  # fmt: skip
            return [body]
        return slack(environ, start_response)

    return application


def serve(app: App, host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted (waitress: a threaded, production-grade WSGI server)."""
    from waitress import serve as waitress_serve

    waitress_serve(wsgi_app(app), host=host, port=port, threads=threads, ident="supportbot")
