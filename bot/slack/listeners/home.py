"""The App Home tab: the stage summary with its chart for leads, escalations for agents, help
for customers."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.charts.figures import chart_data
from bot.slack import home_view
from bot.slack.chart_files import chart_files
from bot.slack.context import SlackContext, now

log = logging.getLogger(__name__)
PERIOD = "7d"


def register(app: App, ctx: SlackContext) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        actor = ctx.directory.actor(event["user"])
        if not actor.is_lead:
            view = (home_view.agent_home(ctx.handoff.held_by(actor.user_id),
                                         ctx.handoff.open_cards())
                    if actor.is_agent else home_view.customer_home())  # fmt: skip
            ctx.client.views_publish(user_id=actor.user_id, view=view)
            return
        at = now()
        report = ctx.reports.summary(actor, at - timedelta(days=7), at)
        trend = ctx.reports.trend(actor, at)
        charts = chart_files(ctx.client)
        chart = charts.chart(PERIOD, chart_data(report, trend, home_view.HOME_PERIOD))
        try:
            ctx.client.views_publish(user_id=actor.user_id,
                                     view=home_view.lead_home(report, chart))  # fmt: skip
        except SlackApiError as refused:
            if chart is None or refused.response.get("error") != "invalid_blocks":
                raise
            # Slack can refuse a file it has not finished processing: the text still goes.
            log.warning("Slack refused the chart image (%s); Home tab without it",
                        refused.response.get("errors"))  # fmt: skip
            charts.forget(PERIOD)
            ctx.client.views_publish(user_id=actor.user_id, view=home_view.lead_home(report))
