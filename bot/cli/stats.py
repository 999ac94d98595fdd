"""`supportbot stats`: the per-stage summary for a period."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import build_services
from bot.charts.figures import CHARTS_HINT
from bot.charts.html_report import minutes, percent, report_with_charts
from bot.cli.durations import duration_argument
from bot.cli.errors import CommandError
from bot.config import Settings
from bot.service.actors import Actor
from lifecycle.summary import Summary

# Whoever may run the command line may read the summary: it is the operator's own database.
OPERATOR = Actor.system("command line")


def register(commands: argparse._SubParsersAction) -> None:
    """Add `stats` to the command line."""
    stats = commands.add_parser(
        "stats",
        help="per-stage summary: conversations, self-service, escalations, satisfaction",
        description="The per-stage summary for conversations opened in the period.",
    )
    stats.add_argument("--since", default="7d", type=duration_argument,
                       help="period back from now, e.g. 1d, 7d, 30d: more than 0 and at most "
                       "365000d (default: 7d)")  # fmt: skip
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.add_argument("--html", type=Path, metavar="FILE",
                       help="also write a self-contained HTML report with charts (and the "
                       "8-week trend) to FILE; it opens offline")  # fmt: skip
    stats.set_defaults(handler=cmd_stats)


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    period = args.since
    services = build_services(settings)
    until = datetime.now(UTC)
    summary = services.reports.summary(OPERATOR, until - period, until)
    if args.json:
        print(json.dumps(asdict(summary), default=_json_default, ensure_ascii=False, indent=2))
    else:
        print(render_summary(summary, _label(period)))
    if args.html:
        trend = services.reports.trend(OPERATOR, until)
        page, charted = report_with_charts(summary, trend, f"last {_label(period)}")
        try:
            args.html.write_text(page, encoding="utf-8")
        except OSError as failed:
            raise CommandError(f"--html: cannot write {args.html}: "
                               f"{failed.strerror or failed}") from None  # fmt: skip
        # On stderr, so that --json output stays one JSON document.
        print(f"Report written to {args.html}" + ("" if charted else f" without charts. "
              f"{CHARTS_HINT}"), file=sys.stderr)  # fmt: skip
    return 0


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def render_summary(summary: Summary, label: str) -> str:
    """The per-stage table as plain text."""
    header = (
        f"{'stage':<14}{'convs':>6}{'custs':>6}{'self-serve':>11}{'escal':>6}{'rate':>6}"
        f"{'claim min':>10}{'reply min':>10}{'resolve min':>12}{'helpful':>8}{'CSAT':>6}"
        f"{'abandoned':>10}"
    )
    lines = [
        f"Stage summary, last {label} ({summary.since:%Y-%m-%d %H:%M} to "
        f"{summary.until:%Y-%m-%d %H:%M} UTC)",
        header,
    ]
    for row in summary.stages:
        lines.append(
            f"{row.name:<14}{row.conversations:>6}{row.customers:>6}"
            f"{percent(row.self_service_rate):>11}{row.escalations:>6}"
            f"{percent(row.escalation_rate):>6}{minutes(row.median_minutes_to_claim):>10}"
            f"{minutes(row.median_minutes_to_first_reply):>10}"
            f"{minutes(row.median_minutes_to_resolve):>12}{percent(row.satisfaction):>8}"
            f"{percent(row.csat):>6}{row.abandoned_purchases:>10}"
        )
    totals = summary.totals
    lines.append(f"Total: {totals['conversations']} conversation(s), "
                 f"{totals['escalations']} escalation(s)")  # fmt: skip
    if summary.transitions:
        lines.append("Stage moves: " + "; ".join(f"{a} > {b}: {n}" for a, b, n in
                                                  summary.transitions))  # fmt: skip
    if summary.unanswered:
        lines.append("Most asked without an answer:")
        lines += [f"  {count} x {question}" for question, count in summary.unanswered]
    lines.append("At dissolution risk: " + (", ".join(summary.at_risk) or "none"))
    lines.append("Hot leads: " + (", ".join(summary.hot_leads) or "none"))
    lines.append("Times: medians in minutes from the escalation (to the claim, the first agent "
                 "reply the customer got, the resolution). CSAT: satisfied after an agent "
                 "resolved.")  # fmt: skip
    return "\n".join(lines)


def _label(period: timedelta) -> str:
    days = period.total_seconds() / 86400
    return f"{days:g}d" if days >= 1 else f"{period.total_seconds() / 3600:g}h"
