"""Listeners by kind; each module has `register(app, ctx)`."""

from slack_bolt import App

from bot.slack.context import SlackContext
from bot.slack.listeners import (
    actions,
    commands,
    drafting,
    errors,
    home,
    messages,
    reactions,
    shortcuts,
)


def register(app: App, ctx: SlackContext) -> None:
    """Attach every listener to the app."""
    for module in (messages, actions, reactions, shortcuts, drafting, commands, home, errors):
        module.register(app, ctx)
