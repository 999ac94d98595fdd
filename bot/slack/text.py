"""Making text safe for Slack: what users wrote never pings, links or breaks a message."""

from __future__ import annotations

import re

SECTION_LIMIT = 3000  # characters of one section's text
BLOCK_LIMIT = 50  # blocks in one message
_BROADCAST = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>")


def escape(text: str) -> str:
    """Escape &, < and > so `<!channel>` or `<https://evil|Docs>` shows as plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def no_broadcast(text: str) -> str:
    """Staff text keeps its formatting, but never pings a whole customer channel."""
    return _BROADCAST.sub(lambda m: f"@{m.group(1)}", text)


def trim(text: str, limit: int = SECTION_LIMIT) -> str:
    """Cut text to a Slack limit, saying so, rather than have Slack refuse the message."""
    if len(text) <= limit:
        return text
    return text[: limit - 12].rstrip() + " …(trimmed)"


def split(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split long text into section-sized parts at paragraph or line breaks where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(
            text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit)
        )
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts
