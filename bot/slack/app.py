"""The Bolt app factory: no module-level app, so tests and workers build their own."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.bootstrap import Services
from bot.config import Settings
from bot.slack import listeners
from bot.slack.context import SlackContext, now
from bot.slack.gateway import Sender, SenderThread
from bot.slack.inbox import Inbox
from bot.slack.outbox import Outbox
from bot.slack.people import Directory
from bot.slack.routing import check_routes
from bot.slack.sweeper import Sweeper
from bot.store.unit_of_work import Store

log = logging.getLogger(__name__)

# The context each app was built with, so HTTP mode can find the store and the knowledge base
# its health check needs from the app alone; weak, so a test's app and context can go away.
_contexts: WeakKeyDictionary[App, SlackContext] = WeakKeyDictionary()


def create_client(settings: Settings, retries: bool = True) -> WebClient:
    """A Web API client. With `retries`, it waits out 429s (Retry-After) and retries 5xx and
    dropped connections itself; the outbox sender uses one without, and schedules its own."""
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_base_url,
        timeout=15,
    )
    if retries:
        client.retry_handlers.extend(
            [
                RateLimitErrorRetryHandler(max_retry_count=5),
                ServerErrorRetryHandler(max_retry_count=3),
                ConnectionErrorRetryHandler(max_retry_count=3),
            ]
        )
    return client


def worker_name() -> str:
    """Who claims inbox and outbox rows: unique per process, readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}"


def gateway_store(services: Services) -> Store:
    """The SQL store the services run on: the inbox and outbox live in the same database."""
    if not isinstance(services.store, Store):
        raise TypeError("the Slack app needs the SQL store (bot.store), not an in-memory one")
    return services.store


def create_app(
    settings: Settings, services: Services, client: WebClient | None = None
) -> tuple[App, SlackContext]:
    """The Bolt app with every listener, and the context the listeners share."""
    check_routes(settings, services.model)
    client = client or create_client(settings)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        # Slack must hear back within 3 seconds: the inbox records, Slack gets its 200, then
        # the listener works on a thread of Bolt's pool.
        process_before_response=False,
        logger=logging.getLogger("slack_bolt"),
    )
    worker = worker_name()
    store = gateway_store(services)
    ctx = SlackContext(
        settings,
        services,
        Directory(settings, client),
        client,
        Inbox(store, worker, now),
        Outbox(store, now),
    )
    listeners.register(app, ctx)
    _contexts[app] = ctx
    return app, ctx


def context_of(app: App) -> SlackContext:
    """The context `create_app` built along with `app`."""
    try:
        return _contexts[app]
    except KeyError:
        raise LookupError("this Bolt app was not built by bot.slack.app.create_app") from None


@dataclass
class Background:
    """The threads that keep a running app honest: the outbox sender and the timers."""

    sender: SenderThread
    sweeper: Sweeper

    def stop(self) -> None:
        self.sender.stop()
        self.sweeper.stop()
        self.sender.join(timeout=5)


def start_background(ctx: SlackContext) -> Background:
    """Start sending the outbox and running timers for this process."""
    sender = SenderThread(
        Sender(
            gateway_store(ctx.services),
            create_client(ctx.settings, retries=False),
            worker_name(),
            now,
        )  # fmt: skip
    )
    ctx.wake_sender = sender.wake.set
    sweeper = Sweeper(ctx, ctx.settings.timer_interval_seconds)
    sender.start()
    sweeper.start()
    return Background(sender, sweeper)
