"""`supportbot gaps`: the questions the knowledge base failed, grouped by need, for a period."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, datetime

from bot.bootstrap import build_services
from bot.cli.durations import duration_argument
from bot.cli.errors import CommandError
from bot.cli.stats import OPERATOR, _label
from bot.config import Settings
from bot.service.errors import UnknownStageError
from bot.service.gaps import TOP, GapReport, Gaps

QUESTION_CHARS = 90  # a line of the table shows this much of a question


def register(commands: argparse._SubParsersAction) -> None:
    """Add `gaps` to the command line."""
    gaps = commands.add_parser(
        "gaps",
        help="knowledge gaps: failed questions grouped by need, most customers first",
        description="Customer questions the knowledge base had no answer for, or whose answer "
        "was marked not helpful, grouped into one gap per need (across wording and language: "
        "by meaning with the sentence model of SEMANTIC_MODEL, else by words), ranked by how "
        "many customers asked, with their stages, example questions and the articles tried.",
    )
    gaps.add_argument("--since", default="30d", type=duration_argument,
                      help="period back from now, e.g. 7d, 30d: more than 0 and at most "
                      "365000d (default: 30d)")  # fmt: skip
    gaps.add_argument("--stage", help="only questions of conversations in this stage")
    gaps.add_argument("--limit", type=_positive, default=TOP,
                      help=f"gaps to show, most customers first (default: {TOP})")  # fmt: skip
    gaps.add_argument("--json", action="store_true", help="print JSON")
    gaps.set_defaults(handler=cmd_gaps)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_gaps(settings: Settings) -> Gaps:
    """The gaps report over the configured database and sentence model, with the knowledge
    base loaded too, so a gap an article now answers is left out here as in Slack."""
    return build_services(settings).gaps


def cmd_gaps(args: argparse.Namespace, settings: Settings) -> int:
    gaps = build_gaps(settings)
    until = datetime.now(UTC)
    try:
        report = gaps.report(OPERATOR, until - args.since, until, stage=args.stage,
                             limit=args.limit)  # fmt: skip
    except UnknownStageError as exc:
        raise CommandError(f"gaps: --stage: {exc}", 2) from None
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print(render_gaps(report, _label(args.since)))
    return 0


def report_json(report: GapReport) -> dict:
    """The report as JSON-ready data: counts as objects, most first; times in ISO 8601."""
    gaps = []
    for gap in report.gaps:
        data = asdict(gap)
        for name in ("stages", "languages", "articles"):
            data[name] = dict(data[name])
        data["examples"] = list(gap.examples)
        data["first_asked"] = gap.first_asked.isoformat()
        data["last_asked"] = gap.last_asked.isoformat()
        gaps.append(data)
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "stage": report.stage,
        "method": report.method,
        "questions": report.questions,
        "total_gaps": report.total_gaps,
        "gaps": gaps,
    }


def _short(text: str, size: int = QUESTION_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def _counts(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{name} {count}" for name, count in pairs)


def render_gaps(report: GapReport, label: str) -> str:
    """The gaps as a plain-text table, one gap per block of lines."""
    where = f" in stage {report.stage}" if report.stage else ""
    lines = [
        f"Knowledge gaps, last {label}{where} ({report.since:%Y-%m-%d %H:%M} to "
        f"{report.until:%Y-%m-%d %H:%M} UTC): {report.questions} failed question(s) in "
        f"{report.total_gaps} gap(s); grouped by {report.method}",
    ]
    if not report.gaps:
        lines.append("No failed questions in the period: nothing to fix.")
        return "\n".join(lines)
    lines.append(f"{'#':>3} {'custs':>5} {'asked':>5}  question")
    for rank, gap in enumerate(report.gaps, start=1):
        lines.append(f"{rank:>3} {gap.customers:>5} {gap.questions:>5}  {_short(gap.label)}")
        indent = " " * 16
        lines.append(f"{indent}stages: {_counts(gap.stages)}; "
                     f"languages: {_counts(gap.languages)}")  # fmt: skip
        lines += [f"{indent}also: {_short(example, QUESTION_CHARS - 6)}"
                  for example in gap.examples]  # fmt: skip
        if gap.articles:
            lines.append(f"{indent}tried: {_counts(gap.articles)}")
    if report.total_gaps > len(report.gaps):
        lines.append(f"... and {report.total_gaps - len(report.gaps)} more gap(s) "
                     "(--limit to see them)")  # fmt: skip
    return "\n".join(lines)
