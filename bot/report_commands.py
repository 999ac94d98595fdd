"""`supportbot replay` and `supportbot stats`: tune on transcripts, read the stage summary."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import build_desk, load_domain
from bot.config import Settings
from bot.durations import duration_argument
from bot.replay import ReplayInputError, read_scripts, replay
from lifecycle.summary import Summary


def register(commands: argparse._SubParsersAction) -> None:
    """Add `replay` and `stats` to the command line."""
    player = commands.add_parser(
        "replay",
        help="run transcripts through the desk with simulated time",
        description="Replay conversations (JSON Lines, one conversation per line) through the "
        "same service with simulated time, on a throwaway database. Timers run at each "
        "message's time and once more HORIZON after the last message.",
    )
    player.add_argument("file", type=Path, metavar="FILE.jsonl")
    player.add_argument("--kb", type=Path, help="knowledge base folder (default: KB_PATH)")
    player.add_argument("--stage-model", type=Path, help="stage model (default: STAGE_MODEL)")
    player.add_argument(
        "--horizon",
        default="30m",
        type=duration_argument,
        help="silence after the last message before the final timer run (default: %(default)s)",
    )
    player.add_argument("--json", action="store_true", help="one JSON object per conversation")
    player.set_defaults(handler=cmd_replay)

    stats = commands.add_parser(
        "stats",
        help="per-stage summary: conversations, self-service, escalations, satisfaction",
        description="The per-stage summary for conversations opened in the period.",
    )
    stats.add_argument("--since", default="7d", type=duration_argument,
                       help="period, e.g. 1d, 7d, 30d (default: 7d)")  # fmt: skip
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(handler=cmd_stats)


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    horizon = args.horizon
    if not args.file.is_file():
        print(f"supportbot: {args.file} does not exist", file=sys.stderr)
        return 2
    overrides = {}
    if args.kb:
        overrides["kb_path"] = args.kb
    if args.stage_model:
        overrides["stage_model"] = args.stage_model
    settings = replace(settings, **overrides)
    kb, model, detector = load_domain(settings)
    try:
        scripts = read_scripts(args.file, model)
    except ReplayInputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    for result in replay(scripts, kb, model, detector, horizon):
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print(_replay_line(result), flush=True)
    return 0


def _replay_line(result: dict) -> str:
    escalation = (
        f"escalated after message {result['escalated_after']} ({', '.join(result['reasons'])})"
        if result["escalated"]
        else "not escalated"
    )
    return f"{result['id']}: stage {result['stage']} ({' > '.join(result['stages'])}); {escalation}"


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    period = args.since
    desk = build_desk(settings)
    until = datetime.now(UTC)
    summary = desk.reports.summary(until - period, until)
    if args.json:
        print(json.dumps(asdict(summary), default=_json_default, ensure_ascii=False, indent=2))
    else:
        print(render_summary(summary, _label(period)))
    return 0


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_summary(summary: Summary, label: str) -> str:
    """The per-stage table as plain text."""
    header = (
        f"{'stage':<14}{'convs':>6}{'custs':>6}{'self-serve':>11}{'escal':>6}{'rate':>6}"
        f"{'claim min':>10}{'helpful':>8}{'abandoned':>10}"
    )
    lines = [
        f"Stage summary, last {label} ({summary.since:%Y-%m-%d %H:%M} to "
        f"{summary.until:%Y-%m-%d %H:%M} UTC)",
        header,
    ]
    for row in summary.stages:
        claim = "-" if row.median_minutes_to_claim is None else f"{row.median_minutes_to_claim}"
        lines.append(
            f"{row.name:<14}{row.conversations:>6}{row.customers:>6}"
            f"{_percent(row.self_service_rate):>11}{row.escalations:>6}"
            f"{_percent(row.escalation_rate):>6}{claim:>10}{_percent(row.satisfaction):>8}"
            f"{row.abandoned_purchases:>10}"
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
    return "\n".join(lines)


def _label(period: timedelta) -> str:
    days = period.total_seconds() / 86400
    return f"{days:g}d" if days >= 1 else f"{period.total_seconds() / 3600:g}h"
