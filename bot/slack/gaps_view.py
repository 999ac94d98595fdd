"""Block Kit for the knowledge gaps (`/lifecycle gaps [7d]` and the leads' App Home): plain data
in, (fallback text, blocks) out. Every question is the customer's own text: escaped once here."""

from __future__ import annotations

from collections.abc import Mapping

from bot.service.gaps import GapReport
from bot.slack.text import BLOCK_LIMIT, escape, trim
from knowledge_base.gaps import Gap

Blocks = list[dict]
LABEL_CHARS = 200  # of the representative question, cut before escaping (never inside "&amp;")
EXAMPLE_CHARS = 150
ARTICLES_SHOWN = 5


def _said(text: str, size: int) -> str:
    """A customer's question on one line, cut to `size` characters, then escaped."""
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= size else flat[: size - 1] + "…")


def _counts(pairs: tuple[tuple[str, int], ...], names: Mapping[str, str] | None = None) -> str:
    return ", ".join(f"{escape((names or {}).get(key, key))} {n}" for key, n in pairs)


def gap_section(rank: int, gap: Gap, stage_names: Mapping[str, str] | None = None) -> dict:
    """One gap: its question, who asked and where, other wordings, the articles tried."""
    people = f"{gap.customers} customer{'s' if gap.customers != 1 else ''}"
    asked = f"{gap.questions} question{'s' if gap.questions != 1 else ''}"
    lines = [
        f"*{rank}. {_said(gap.label, LABEL_CHARS)}*",
        f"{people} · {asked} · {_counts(gap.stages, stage_names)} · {_counts(gap.languages)}",
    ]
    lines += [f"> _{_said(example, EXAMPLE_CHARS)}_" for example in gap.examples]
    if gap.articles:
        tried = ", ".join(f"`{escape(article)}` ({n})"
                          for article, n in gap.articles[:ARTICLES_SHOWN])  # fmt: skip
        lines.append(f"Tried, not helpful: {tried}")
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim("\n".join(lines))}}


def gaps_blocks(
    report: GapReport, label: str, stage_names: Mapping[str, str] | None = None
) -> tuple[str, Blocks]:
    """The gaps of a period, most customers first, as many as one message holds (the header,
    the context line and, when some are left out, the line saying how many)."""
    stage = (stage_names or {}).get(report.stage, report.stage) if report.stage else None
    where = f" · {escape(stage)}" if stage else ""
    title = f"Knowledge gaps · {label}{where}"
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(
            f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC · "
            f"{report.questions} failed question(s) in {report.total_gaps} gap(s) · "
            f"grouped by {escape(report.method)}", 2000)}]},
    ]  # fmt: skip
    if not report.gaps:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                       "text": "No failed questions in this period: nothing to fix."}})  # fmt: skip
        return f"{title}: none", blocks
    room = BLOCK_LIMIT - len(blocks) - 1  # one left for "and N more"
    shown = report.gaps[:room]
    blocks += [gap_section(rank, gap, stage_names) for rank, gap in enumerate(shown, start=1)]
    left = report.total_gaps - len(shown)
    if left > 0:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"…and {left} more gap(s) not shown here."}]})  # fmt: skip
    top = report.gaps[0]
    # The fallback text is shown in notifications as mrkdwn too: escaped as well.
    fallback = (f"{title}: {report.total_gaps} gap(s); most asked: "
                f"{_said(top.label, LABEL_CHARS)} ({top.customers} customers)")  # fmt: skip
    return fallback, blocks
