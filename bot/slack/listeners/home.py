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
from bot.slack.drafts_view import drafts_section
from bot.slack.gaps_view import gaps_blocks

log = logging.getLogger(__name__)
PERIOD = "7d"
HOME_GAPS = 5  # knowledge gaps on a lead's Home tab; `/lifecycle gaps` lists more


def register(app: App, ctx: SlackContext) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        publish_home(ctx, event["user"])


def publish_home(ctx: SlackContext, user: str, notice: str = "") -> None:
    """Publish `user`'s Home tab as it is now (after an open, or after they acted on it);
    `notice` is a line shown at the top of a lead's tab (what their last action did)."""
    actor = ctx.directory.actor(user)
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
    gaps = ctx.services.gaps.report(actor, at - timedelta(days=7), at, limit=HOME_GAPS)
    names = {stage.id: stage.name() for stage in ctx.services.model.stages}
    _, gap_blocks = gaps_blocks(gaps, home_view.HOME_PERIOD, names)
    extra = gap_blocks + drafts_section(ctx.services.drafts.pending(actor))
    if notice:
        extra = [{"type": "context", "elements": [{"type": "mrkdwn", "text": notice}]}, *extra]
    try:
        ctx.client.views_publish(user_id=actor.user_id,
                                 view=home_view.lead_home(report, chart, extra))  # fmt: skip
    except SlackApiError as refused:
        if chart is None or refused.response.get("error") != "invalid_blocks":
            raise
        # Slack can refuse a file it has not finished processing: the text still goes.
        log.warning("Slack refused the chart image (%s); Home tab without it",
                    refused.response.get("errors"))  # fmt: skip
        charts.forget(PERIOD)
        ctx.client.views_publish(user_id=actor.user_id,
                                 view=home_view.lead_home(report, extra=extra))  # fmt: skip
