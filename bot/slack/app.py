"""The Bolt app factory: no module-level app, so tests and workers build their own."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.desk import Desk
from bot.slack import listeners
from bot.slack.context import SlackContext
from bot.slack.people import Directory

log = logging.getLogger(__name__)


def create_client(settings: Settings) -> WebClient:
    """A Web API client that waits out 429s (Retry-After) and retries 5xx and dropped
    connections instead of losing the call."""
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_base_url,
        timeout=15,
    )
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=3),
        ]
    )
    return client


def create_app(
    settings: Settings, desk: Desk, client: WebClient | None = None
) -> tuple[App, SlackContext]:
    """The Bolt app with every listener, and the context the listeners share."""
    client = client or create_client(settings)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        # Slack must hear back within 3 seconds: acknowledge, then work.
        process_before_response=False,
        logger=logging.getLogger("slack_bolt"),
    )
    ctx = SlackContext(settings, desk, Directory(settings, client), client)
    listeners.register(app, ctx)
    return app, ctx
