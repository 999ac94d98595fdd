"""One error handler: the user sees a clear message, the log gets a correlation id."""

from __future__ import annotations

import logging
import uuid

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.service.errors import REFUSALS
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    @app.error
    def on_error(error: Exception, body: dict) -> None:
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if isinstance(error, REFUSALS):
            # Refusals are worth a line: a forged or mistaken click shows up here.
            log.warning("refused for %s: %s", user, error)
            message = str(error)
        else:
            reference = uuid.uuid4().hex[:8]
            log.error("error %s handling a Slack request", reference, exc_info=error)
            message = f"Sorry, something went wrong on our side (reference {reference})."
        if user and channel:
            try:
                ctx.client.chat_postEphemeral(channel=channel, user=user, text=message)
            except SlackApiError as exc:
                log.warning("could not tell %s about an error: %s", user, exc)
