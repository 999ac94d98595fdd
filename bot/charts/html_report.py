"""The leads' report as one self-contained HTML file: the charts embedded as a PNG data URI,
the per-stage and weekly tables, stage moves, unanswered questions. No script, stylesheet,
font or image is fetched from anywhere, so it opens offline and can be mailed as it is."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape

from bot.charts.figures import CHARTS_HINT, ChartsUnavailable, chart_data, render_png
from lifecycle.summary import StageSummary, Summary
from lifecycle.trend import Trend

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1240px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f3f3; }
img { max-width: 100%; height: auto; }
.note { color: #666; }
"""


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def stage_row(row: StageSummary) -> tuple[object, ...]:
    """One stage's cells, as the text and HTML tables show them."""
    csat = "-" if row.csat is None else f"{row.csat:.0%} of {row.csat_rated}"
    return (row.name, row.conversations, row.customers, percent(row.self_service_rate),
            row.escalations, percent(row.escalation_rate), minutes(row.median_minutes_to_claim),
            minutes(row.median_minutes_to_first_reply), minutes(row.median_minutes_to_resolve),
            percent(row.satisfaction), csat, row.abandoned_purchases)  # fmt: skip


STAGE_HEAD = ("stage", "conversations", "customers", "self-service", "escalations", "rate",
              "claim min", "first reply min", "resolve min", "helpful", "CSAT",
              "abandoned")  # fmt: skip


def html_report(
    summary: Summary, trend: Trend, label: str, png: bytes | None, note: str = ""
) -> str:
    """The report for `summary` (the period called `label`) and `trend`; `png` is the charts
    image, or None with a `note` saying why there is none."""
    title = f"Lifecycle summary, {label}"
    period = f"{summary.since:%Y-%m-%d %H:%M} to {summary.until:%Y-%m-%d %H:%M} UTC"
    totals = summary.totals
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(period)} · {totals['conversations']} conversation(s) · "
        f"{totals['escalations']} escalation(s)</p>",
    ]
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<img alt="{escape(title)}: charts" src="data:image/png;base64,{data}">')
    else:
        parts.append(f'<p class="note">{escape(note or "No charts.")}</p>')
    parts += ["<h2>Per stage</h2>", _table(STAGE_HEAD, map(stage_row, summary.stages))]
    parts.append('<p class="note">Times are medians, in minutes, from the escalation: to the '
                 "claim, to the first agent message the customer got, to the resolution. Helpful: "
                 "answers rated helpful; CSAT: customers satisfied after an agent "
                 "resolved.</p>")  # fmt: skip
    parts += [f"<h2>Last {len(trend.weeks)} weeks</h2>", _weekly(trend)]
    if summary.transitions:
        parts += ["<h2>Stage moves</h2>",
                  _table(("from", "to", "customers"), summary.transitions)]  # fmt: skip
    if summary.unanswered:
        parts += ["<h2>Most asked without an answer</h2>",
                  _table(("question", "times"), summary.unanswered)]  # fmt: skip
    parts.append(f"<h2>At dissolution risk</h2><p>{escape(', '.join(summary.at_risk) or 'none')}"
                 "</p>")  # fmt: skip
    parts.append(f"<h2>Hot leads</h2><p>{escape(', '.join(summary.hot_leads) or 'none')}</p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _weekly(trend: Trend) -> str:
    head = ("7 days from", *trend.names, "total", "self-service")
    rows = [(f"{week.start:%Y-%m-%d}", *week.per_stage, week.conversations,
             percent(week.self_service_rate)) for week in trend.weeks]  # fmt: skip
    return _table(head, rows)


def report_with_charts(summary: Summary, trend: Trend, label: str) -> tuple[str, bool]:
    """The HTML report with the charts drawn in, or without them (and a line saying what
    they need) when matplotlib is missing; and whether the charts are in."""
    try:
        png = render_png(chart_data(summary, trend, label))
    except ChartsUnavailable:
        return html_report(summary, trend, label, None, CHARTS_HINT), False
    return html_report(summary, trend, label, png), True
