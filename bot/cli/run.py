"""`supportbot run`: the Slack app, in Socket Mode or behind HTTP."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from bot.bootstrap import Services, build_services, reload_knowledge_base
from bot.cli.errors import CommandError
from bot.config import TRY_WITHOUT_SLACK, Settings, SettingsError, require_slack
from bot.store.database import NotWritableError, check_writable

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="run the Slack app (Socket Mode, or --http for Slack's HTTP requests)",
        description="Run the Slack app. Socket Mode by default (needs SLACK_APP_TOKEN); with "
        "--http, serves Slack's events, commands and interactivity at /slack/events and a "
        "health check at /healthz. Send SIGHUP to reload the knowledge base; changed "
        "article files are reloaded within KB_WATCH_SECONDS.",
    )
    run.add_argument("--http", action="store_true", help="serve HTTP instead of Socket Mode")
    # Checked by cmd_run, not argparse, so a bad value is one line like every other refusal.
    run.add_argument("--port", default="3000", help="HTTP port (default: %(default)s)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP address (default: %(default)s)")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Check the settings, the database and Slack, then serve until interrupted."""
    from bot.slack.app import create_app, create_client, gateway_store, start_background
    from bot.slack.routing import check_routes

    socket_mode = not args.http
    if socket_mode and not settings.slack_app_token:
        raise SettingsError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...), "
            f"or use `supportbot run --http`; {TRY_WITHOUT_SLACK}"
        )
    require_slack(settings, socket_mode)
    host, port = _listen_address(args.host, args.port) if args.http else ("", 0)
    services = build_services(settings)
    check_routes(settings, services.model)  # a wrong setting is named before Slack is asked
    try:
        check_writable(gateway_store(services).engine)
    except NotWritableError as exc:
        raise CommandError(f"DATABASE_URL: the database cannot be written ({exc})") from None
    client = create_client(settings)
    try:
        identity = _check_credentials(settings)
    except SlackApiError as exc:
        raise SettingsError(
            f"SLACK_BOT_TOKEN: Slack refused the token ({exc.response.get('error')}); "
            f"{TRY_WITHOUT_SLACK}"
        ) from None
    except (URLError, OSError) as exc:
        raise SettingsError(
            f"SLACK_API_BASE_URL: cannot reach {settings.slack_api_base_url} ({exc}); "
            f"{TRY_WITHOUT_SLACK}"
        ) from None
    app, ctx = create_app(settings, services, client)
    who = f"{identity.get('user')} in {identity.get('team')}"
    if args.http:
        from bot.slack.server import create_server

        try:
            server = create_server(app, host, port)
        except OSError as exc:
            raise CommandError(
                f"--host/--port: cannot listen on {host}:{port} ({exc.strerror or exc})", code=2
            ) from None
    background = start_background(ctx)
    try:
        with _reloading(services, settings):
            if args.http:
                print(f"supportbot: connected as {who}; serving http://{host}:{port}"
                      "/slack/events (health: /healthz)", flush=True)  # fmt: skip
                server.run()
            else:
                from slack_bolt.adapter.socket_mode import SocketModeHandler

                print(f"supportbot: connected as {who}; Socket Mode", flush=True)
                SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        background.stop()
    return 0


def _listen_address(host: str, raw_port: str) -> tuple[str, int]:
    """The HTTP address to listen on, or one line saying what is wrong with it."""
    try:
        port = int(raw_port)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise CommandError(f"--port: expected a number from 1 to 65535, got {raw_port!r}", 2)
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandError(f"--host: cannot listen on {host!r} ({reason})", 2) from None
    return host, port


def _check_credentials(settings: Settings) -> dict:
    """auth.test once, without retries or the SDK's own error lines: at start-up, a wrong
    token or an unreachable Slack should read as one line, at once."""
    from slack_sdk import WebClient

    sdk_log = logging.getLogger("slack_sdk.web.base_client")
    level = sdk_log.level
    sdk_log.setLevel(logging.CRITICAL)
    try:
        client = WebClient(settings.slack_bot_token, base_url=settings.slack_api_base_url,
                           timeout=10)  # fmt: skip
        return client.auth_test().data  # type: ignore[return-value]
    finally:
        sdk_log.setLevel(level)


@contextmanager
def _reloading(services: Services, settings: Settings) -> Iterator[None]:
    """While inside, SIGHUP, and a change to KB_PATH's files seen within KB_WATCH_SECONDS,
    reload the knowledge base on the reloader's thread."""
    from bot.slack.reloading import FileWatcher, Reloader
    from knowledge_base.cache import files_digest

    reloader = Reloader(lambda: _reload(services, settings))
    reloader.start()
    watcher = None
    if settings.kb_watch_seconds:
        watcher = FileWatcher(lambda: files_digest(settings.kb_path), reloader.request,
                              settings.kb_watch_seconds)  # fmt: skip
        watcher.start()
    previous = None
    if hasattr(signal, "SIGHUP"):  # not on Windows
        # The handler only wakes the reloader: a reload inside it would run on the main thread
        # (waitress's loop), stall every request and nest inside the next SIGHUP's handler.
        previous = signal.signal(signal.SIGHUP, lambda _signum, _frame: reloader.request())
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)
        if watcher is not None:
            watcher.stop()
        reloader.stop()


def _reload(services: Services, settings: Settings) -> None:
    problems = reload_knowledge_base(services, settings)
    for problem in problems:
        print(problem, file=sys.stderr)
    log.warning("knowledge base %s", "kept: reload refused" if problems else "reloaded")
