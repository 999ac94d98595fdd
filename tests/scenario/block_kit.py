"""Block Kit's limits, as Slack's reference states them, for the strict fake to check.

Slack publishes no schema for Block Kit, so the rules are written out here from the reference
(docs.slack.dev/reference/block-kit: blocks, block elements, composition objects, views). Each
function returns a list of plain-language problems; an empty list means Slack would accept it.
Only what Slack rejects is checked (lengths, counts, required fields, uniqueness), not style.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MESSAGE_BLOCKS = 50  # "up to 50 blocks in each message"
VIEW_BLOCKS = 100  # "... and 100 blocks in modals or Home tabs"
MESSAGE_TEXT = 40_000  # chat.* `text`: longer is truncated by Slack; treated as a bug here
ID_LENGTH = 255  # block_id, action_id, callback_id

BLOCK_TYPES = frozenset({
    "actions", "context", "context_actions", "divider", "file", "header", "image", "input",
    "markdown", "rich_text", "section", "table", "video",
})  # fmt: skip
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


def _text_problems(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> list[str]:
    """A text object: {"type": plain_text|mrkdwn, "text": 1..limit characters}."""
    if not isinstance(obj, dict):
        return [f"{where}: a text object is required, got {type(obj).__name__}"]
    kind, text = obj.get("type"), obj.get("text")
    allowed = {"plain_text"} if plain_only else TEXT_TYPES
    problems = []
    if kind not in allowed:
        problems.append(f"{where}: text type {kind!r} is not one of {sorted(allowed)}")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: text must be a non-empty string")
    elif len(text) > limit:
        problems.append(f"{where}: text is {len(text)} characters, more than {limit}")
    return problems


def _too_long(value: Any, where: str, limit: int) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [f"{where}: {len(value)} characters, more than {limit}"]
    return []


def _element_problems(element: Any, where: str) -> list[str]:
    """An interactive element (a button is checked in full; the others for their ids)."""
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [f"{where}: an element needs a type"]
    problems = _too_long(element.get("action_id"), f"{where}.action_id", ID_LENGTH)
    if element["type"] == "button":
        problems += _text_problems(element.get("text"), f"{where}.text", 75, plain_only=True)
        problems += _too_long(element.get("value"), f"{where}.value", 2000)
        problems += _too_long(element.get("url"), f"{where}.url", 3000)
        problems += _too_long(element.get("accessibility_label"), f"{where}.label", 75)
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}.style: {element['style']!r} is not primary or danger")
    elif element["type"] == "image":
        problems += _image_problems(element, where)
    return problems


def _image_problems(image: dict[str, Any], where: str) -> list[str]:
    problems = []
    if not image.get("image_url") and not image.get("slack_file"):
        problems.append(f"{where}: an image needs image_url or slack_file")
    problems += _too_long(image.get("image_url"), f"{where}.image_url", 3000)
    alt = image.get("alt_text")
    if not isinstance(alt, str) or not alt:
        problems.append(f"{where}: an image needs alt_text")
    problems += _too_long(alt, f"{where}.alt_text", 2000)
    return problems


def _count(items: Any, where: str, most: int) -> list[str]:
    if not isinstance(items, list) or not items:
        return [f"{where}: a non-empty list is required"]
    if len(items) > most:
        return [f"{where}: {len(items)} items, more than {most}"]
    return []


def _block_problems(block: dict[str, Any], where: str) -> list[str]:  # noqa: C901 - one per type
    kind = block["type"]
    problems = _too_long(block.get("block_id"), f"{where}.block_id", ID_LENGTH)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where}: a section needs text or fields")
        if "text" in block:
            problems += _text_problems(block["text"], f"{where}.text", 3000)
        if "fields" in block:
            problems += _count(block["fields"], f"{where}.fields", 10)
            for n, field in enumerate(block["fields"] if isinstance(block["fields"], list) else []):
                problems += _text_problems(field, f"{where}.fields[{n}]", 2000)
        if "accessory" in block:
            problems += _element_problems(block["accessory"], f"{where}.accessory")
    elif kind == "header":
        problems += _text_problems(block.get("text"), f"{where}.text", 150, plain_only=True)
    elif kind == "context":
        problems += _count(block.get("elements"), f"{where}.elements", 10)
        for n, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict) and element.get("type") == "image":
                problems += _image_problems(element, f"{where}.elements[{n}]")
            else:
                problems += _text_problems(element, f"{where}.elements[{n}]", 3000)
    elif kind == "actions":
        problems += _count(block.get("elements"), f"{where}.elements", 25)
        for n, element in enumerate(block.get("elements") or []):
            problems += _element_problems(element, f"{where}.elements[{n}]")
    elif kind == "image":
        problems += _image_problems(block, where)
        if "title" in block:
            problems += _text_problems(block["title"], f"{where}.title", 2000, plain_only=True)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            problems.append(f"{where}: a markdown block needs text")
        problems += _too_long(text, f"{where}.text", 12_000)
    elif kind == "input":
        problems += _text_problems(block.get("label"), f"{where}.label", 2000, plain_only=True)
        if not isinstance(block.get("element"), dict):
            problems.append(f"{where}: an input block needs an element")
        else:
            problems += _element_problems(block["element"], f"{where}.element")
    return problems


def _action_ids(block: dict[str, Any]) -> Iterator[str]:
    elements = list(block.get("elements") or [])
    elements += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
    for element in elements:
        if isinstance(element, dict) and isinstance(element.get("action_id"), str):
            yield element["action_id"]


def slack_file_ids(blocks: Any) -> list[str]:
    """The ids of Slack files the blocks show (image blocks and image elements)."""
    found = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        images = [block, block.get("accessory"), *(block.get("elements") or [])]
        for image in images:
            if isinstance(image, dict) and image.get("type") == "image":
                ref = image.get("slack_file")
                if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                    found.append(ref["id"])
    return found


def block_problems(blocks: Any, most: int = MESSAGE_BLOCKS) -> list[str]:
    """What Slack would reject in a list of blocks (`most`: 50 for messages, 100 for views)."""
    if not isinstance(blocks, list):
        return [f"blocks must be a list, got {type(blocks).__name__}"]
    problems = []
    if len(blocks) > most:
        problems.append(f"{len(blocks)} blocks, more than {most}")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for n, block in enumerate(blocks):
        where = f"blocks[{n}]"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            problems.append(f"{where}: unknown block type {kind!r}")
            continue
        problems += _block_problems(block, where)
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(f"{where}: block_id {block_id!r} is used twice")
            block_ids.add(block_id)
        # Unique across the whole message or view: Bolt routes a press by action_id alone.
        for action_id in _action_ids(block):
            if action_id in action_ids:
                problems.append(f"{where}: action_id {action_id!r} is used twice")
            action_ids.add(action_id)
    return problems


def view_problems(view: Any) -> list[str]:
    """What Slack would reject in a modal or Home tab view object."""
    if not isinstance(view, dict):
        return [f"view must be an object, got {type(view).__name__}"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view type {kind!r} is not modal or home"]
    problems = [f"view.{p}" for p in block_problems(view.get("blocks"), VIEW_BLOCKS)]
    problems += _too_long(view.get("private_metadata"), "view.private_metadata", 3000)
    problems += _too_long(view.get("callback_id"), "view.callback_id", ID_LENGTH)
    if kind == "modal":
        problems += _text_problems(view.get("title"), "view.title", 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                problems += _text_problems(view[key], f"view.{key}", 24, plain_only=True)
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and "submit" not in view:
            problems.append("view: a modal with an input block needs submit")
    return problems


NO_FALLBACK = "blocks sent without a `text` fallback"


def message_problems(params: dict[str, Any]) -> list[str]:
    """What Slack would reject in a message's `text` and `blocks` (chat.*, response_url)."""
    problems = []
    text = params.get("text")
    if text is not None and not isinstance(text, str):
        problems.append(f"text must be a string, got {type(text).__name__}")
    problems += _too_long(text, "text", MESSAGE_TEXT)
    if "blocks" in params:
        problems += block_problems(params["blocks"], MESSAGE_BLOCKS)
    return problems


def lacks_fallback(params: dict[str, Any]) -> bool:
    """Blocks without `text`: Slack posts them, but notifications and screen readers get
    nothing, and Slack answers with a warning; this project counts it as a bug."""
    text = params.get("text")
    return "blocks" in params and not (isinstance(text, str) and text.strip())
