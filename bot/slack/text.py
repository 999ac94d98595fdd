"""Making text safe for Slack: what users wrote never pings, links or breaks a message."""

from __future__ import annotations

import re
from collections.abc import Callable

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


def _none(_: str) -> str | None:
    return None


# Slack's markup in incoming text: <@U1>, <@U1|name>, <#C1|name>, <!here>, <!subteam^S1|@team>,
# <!date^...|fallback>, <https://x|label>, <mailto:a@b|a@b>. Everything else arrives escaped.
_MARKUP = re.compile(r"<([^<>]*)>")


def plain(
    text: str, *, bot_user_id: str | None = None, name_of: Callable[[str], str | None] = _none
) -> str:
    """Slack's message text as the sender typed it: mentions, channels and links turned into
    readable text that pings nobody, the app's own mention left out, and `&amp;`, `&lt;`,
    `&gt;` unescaped (once: the text is escaped again, once, wherever it is shown)."""

    def readable(match: re.Match[str]) -> str:
        inside = match.group(1)
        target, _, label = inside.partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "@" + (label or name_of(user) or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            special = target[1:]
            if special.startswith("subteam^"):
                return label or "@" + special.split("^", 1)[1]
            if special.startswith("date^"):
                return label or special
            return "@" + (label.lstrip("@") or special)
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    if bot_user_id:  # "<@app> how do I pay" is searched as "how do I pay"
        text = re.sub(rf"\s*<@{re.escape(bot_user_id)}(\|[^>]*)?>\s*", " ", text).strip()
    unmarked = _MARKUP.sub(readable, text)
    return unmarked.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
