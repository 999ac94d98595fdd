"""The App Home tab for each audience: leads see the summary with its chart, agents their
escalations, customers what the app does. Plain data in, a view out; no Slack calls."""

from __future__ import annotations

from collections.abc import Sequence

from bot.service.outcomes import Card
from bot.slack.chart_files import ChartFile
from bot.slack.summary_view import context, header, section, summary_blocks
from bot.slack.text import escape
from lifecycle.summary import Summary

HOME_LIMIT = 100  # blocks in a Home tab view
HOME_PERIOD = "last 7 days"


def lead_home(report: Summary, chart: ChartFile | None = None,
              extra: Sequence[dict] = ()) -> dict:  # fmt: skip
    """The leads' Home tab: the last 7 days' summary with its chart, then `extra` sections
    (for instance knowledge gaps and article drafts)."""
    blocks = summary_blocks(report, HOME_PERIOD, chart) + list(extra)
    return {"type": "home", "blocks": blocks[:HOME_LIMIT]}


def agent_home(held: Sequence[Card], waiting: Sequence[Card]) -> dict:
    """An agent's Home tab: the escalations they hold and how many wait for someone."""
    blocks: list[dict] = [header("Your escalations")]
    if not held:
        blocks.append(section("You hold no conversation right now."))
    for card in held[:40]:
        blocks.append(section(f"#{card.escalation_id} · <@{card.customer_user}> · "
                              f"{escape(card.stage_name)} · "
                              + escape("; ".join(card.reasons))))  # fmt: skip
    blocks.append(section(f"*Waiting for an agent:* {len(waiting)}"))
    for card in waiting[:10]:
        blocks.append(context(f"#{card.escalation_id} · <@{card.customer_user}> · "
                              f"{escape(card.stage_name)}"))  # fmt: skip
    blocks.append(context("Search the knowledge base with `/kb your question`."))
    return {"type": "home", "blocks": blocks[:HOME_LIMIT]}


def customer_home() -> dict:
    """A customer's Home tab: what the app can do for them."""
    return {"type": "home", "blocks": [
        header("How I can help"),
        section("Ask me anything about our products, orders, payments, shipping or your "
                "account in a direct message, in English, Italiano, Deutsch or Polski. If my "
                "answer doesn't help, press *Talk to a person* and someone from our team "
                "will join."),
    ]}  # fmt: skip
