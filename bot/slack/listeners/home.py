"""The App Home tab: the stage summary for leads, escalations for agents, help for customers."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt import App

from bot.service.vocabulary import Audience
from bot.slack import views
from bot.slack.context import SlackContext, now


def register(app: App, ctx: SlackContext) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        actor = ctx.directory.actor(event["user"])
        if actor.is_lead:
            at = now()
            report = ctx.reports.summary(actor, at - timedelta(days=7), at)
            view = views.home(Audience.LEAD, report=report)
        elif actor.is_agent:
            view = views.home(Audience.AGENT, held=ctx.handoff.held_by(actor.user_id),
                              waiting=ctx.handoff.open_cards())  # fmt: skip
        else:
            view = views.home(Audience.CUSTOMER)
        ctx.client.views_publish(user_id=actor.user_id, view=view)
