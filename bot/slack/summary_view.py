"""The leads' per-stage summary in Block Kit: plain data in, blocks out. No Slack calls.

The chart image comes first when there is one (see chart_files), and the numbers follow as
text in every case, so nothing is lost where charts cannot be drawn.
"""

from __future__ import annotations

from bot.charts.figures import alt_text
from bot.slack.chart_files import ChartFile
from bot.slack.text import BLOCK_LIMIT, escape, trim
from lifecycle.summary import StageSummary, Summary

Blocks = list[dict]
BAR_WIDTH = 20


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text)}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(text, 2000)}]}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def image_block(chart: ChartFile) -> dict:
    """The Block Kit image of an uploaded chart."""
    return {
        "type": "image",
        "slack_file": {"id": chart.file_id},
        "alt_text": alt_text(chart.data)[:2000],
        "title": {"type": "plain_text", "text": f"{chart.data.title} (drawn "
                  f"{chart.drawn_at:%H:%M} UTC)"[:2000]},  # fmt: skip
    }


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:g} min"


def bar(count: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A bar of block characters, proportional to count (for when there is no chart)."""
    if largest <= 0 or count <= 0:
        return "▏"
    return "█" * max(1, round(width * count / largest))


def _stage(row: StageSummary, largest: int) -> dict:
    csat = "–" if row.csat is None else f"{row.csat:.0%} of {row.csat_rated}"
    detail = (
        f"self-service {_percent(row.self_service_rate)} · escalated {row.escalations} "
        f"({_percent(row.escalation_rate)}) · claim {_minutes(row.median_minutes_to_claim)} · "
        f"first reply {_minutes(row.median_minutes_to_first_reply)} · "
        f"resolved {_minutes(row.median_minutes_to_resolve)}\n"
        f"helpful {_percent(row.satisfaction)} · CSAT {csat}"
    )
    if row.abandoned_purchases:
        detail += f" · abandoned {row.abandoned_purchases}"
    return section(f"*{escape(row.name)}*  `{bar(row.conversations, largest)}` "
                    f"{row.conversations} ({row.customers} customers)\n{detail}")  # fmt: skip


def summary_blocks(report: Summary, label: str, chart: ChartFile | None = None) -> Blocks:
    """The per-stage summary: the chart (if any), then each stage's numbers as text."""
    totals = report.totals
    blocks: Blocks = [
        header(f"Lifecycle summary · {label}"),
        context(f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC · "
                f"{totals['conversations']} conversations · "
                f"{totals['escalations']} escalations"),  # fmt: skip
    ]
    if chart is not None:
        blocks.append(image_block(chart))
    largest = max((row.conversations for row in report.stages), default=0)
    blocks += [_stage(row, largest) for row in report.stages]
    blocks.append(context("Times are medians from the escalation. Helpful: answers rated "
                          "helpful. CSAT: customers satisfied after an agent resolved."))
    if report.transitions:
        moves = "; ".join(f"{a} → {b}: {n}" for a, b, n in report.transitions[:10])
        blocks.append(context(f"Stage moves: {escape(moves)}"))
    if report.unanswered:
        asked = "\n".join(f"• {n} × {escape(q[:150])}" for q, n in report.unanswered)
        blocks.append(section(f"*Asked without an answer*\n{asked}"))
    risk = ", ".join(f"<@{u}>" for u in report.at_risk[:20]) or "none"
    hot = ", ".join(f"<@{u}>" for u in report.hot_leads[:20]) or "none"
    blocks.append(context(f"At dissolution risk: {risk} · Hot leads: {hot}"))
    return blocks


def summary(report: Summary, label: str, chart: ChartFile | None = None) -> tuple[str, Blocks]:
    """`/lifecycle summary`: fallback text and blocks for one message."""
    return f"Lifecycle summary, {label}", summary_blocks(report, label, chart)[:BLOCK_LIMIT]
