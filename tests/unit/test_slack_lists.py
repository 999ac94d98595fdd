"""Lead lists (`/lifecycle stuck`, `/lifecycle stage`) keep every row whole within Slack's
limits, and say how many did not fit."""

from __future__ import annotations

import re

from bot.service.outcomes import ConversationLine
from bot.slack.text import BLOCK_LIMIT, SECTION_LIMIT
from bot.slack.views import conversation_list


def line(n: int) -> ConversationLine:
    said = f"R&D order {n}: " + "the grinder & the <Pro> " * 10
    return ConversationLine(f"U{n:04d}", "purchase", "escalated", 12.0 + n, said, n, "UAGENT")


def test_rows_are_never_cut_and_the_rest_is_counted() -> None:
    lines = [line(n) for n in range(600)]
    _, blocks = conversation_list("Stuck buyers", lines)
    assert len(blocks) <= BLOCK_LIMIT
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    rows = [row for text in sections[1:] for row in text.split("\n• ")]
    assert all(row.lstrip("• ").startswith("<@U") and row.endswith("_") for row in rows)
    # Escaped once, never cut inside an entity, nothing that pings or links.
    body = "\n".join(sections[1:])
    assert not re.search(r"&(?!amp;|lt;|gt;)", body) and "<Pro>" not in body
    [more] = [b for b in blocks if b["type"] == "context"]
    assert more["elements"][0]["text"] == f"…and {600 - len(rows)} more not shown here."


def test_a_short_list_shows_every_row_and_no_count() -> None:
    _, blocks = conversation_list("Stuck buyers", [line(n) for n in range(3)])
    assert [b["type"] for b in blocks] == ["section", "section"]
    assert blocks[1]["text"]["text"].count("<@U") == 3 * 2  # the customer and the agent
