"""`supportbot run`: the Slack app, in Socket Mode or behind HTTP."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from bot.bootstrap import Services, build_services, reload_knowledge_base
from bot.config import TRY_WITHOUT_SLACK, Settings, SettingsError, require_slack

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="run the Slack app (Socket Mode, or --http for Slack's HTTP requests)",
        description="Run the Slack app. Socket Mode by default (needs SLACK_APP_TOKEN); with "
        "--http, serves Slack's events, commands and interactivity at /slack/events and a "
        "health check at /healthz. Send SIGHUP to reload the knowledge base.",
    )
    run.add_argument("--http", action="store_true", help="serve HTTP instead of Socket Mode")
    run.add_argument("--port", type=int, default=3000, help="HTTP port (default: %(default)s)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP address (default: %(default)s)")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.app import create_app, create_client, start_background

    socket_mode = not args.http
    if socket_mode and not settings.slack_app_token:
        raise SettingsError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...), "
            f"or use `supportbot run --http`; {TRY_WITHOUT_SLACK}"
        )
    require_slack(settings, socket_mode)
    services = build_services(settings)
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
    _reload_on_sighup(services, settings)
    background = start_background(ctx)
    who = f"{identity.get('user')} in {identity.get('team')}"
    try:
        if args.http:
            from bot.slack.server import serve

            print(f"supportbot: connected as {who}; serving http://{args.host}:{args.port}"
                  "/slack/events (health: /healthz)", flush=True)  # fmt: skip
            serve(app, args.host, args.port)
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            print(f"supportbot: connected as {who}; Socket Mode", flush=True)
            SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        background.stop()
    return 0


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


def _reload_on_sighup(services: Services, settings: Settings) -> None:
    if not hasattr(signal, "SIGHUP"):
        return

    def reload(_signum: int, _frame: object) -> None:
        problems = reload_knowledge_base(services, settings)
        for problem in problems:
            print(problem, file=sys.stderr)
        log.warning("knowledge base %s", "kept: reload refused" if problems else "reloaded")

    signal.signal(signal.SIGHUP, reload)
