"""Action ids, in one place, so views and listeners cannot drift apart."""

from __future__ import annotations

import re
from enum import StrEnum


class Action(StrEnum):
    HELPFUL = "feedback_helpful"
    NOT_HELPFUL = "feedback_not_helpful"
    TALK_TO_HUMAN = "talk_to_human"
    PICK_SUGGESTION = "pick_suggestion"
    CLAIM = "claim_escalation"
    RESOLVE = "resolve_escalation"
    SEND_ARTICLE = "send_article"
    UNCLAIM = "unclaim_escalation"
    REASSIGN = "reassign_escalation"
    SATISFIED = "csat_satisfied"
    UNSATISFIED = "csat_unsatisfied"
    SAVE_ARTICLE = "save_as_article"
    APPROVE_DRAFT = "approve_draft"
    REJECT_DRAFT = "reject_draft"


class Shortcut(StrEnum):
    """Callback ids of the message shortcuts in manifest.yml."""

    ESCALATE = "escalate_to_support"
    SAVE_ARTICLE = "save_as_article"


class View(StrEnum):
    """Callback ids of the app's modals."""

    ARTICLE_DRAFT = "article_draft"


# Reactions agents put on a card instead of pressing its buttons (names without colons).
CLAIM_REACTION = "eyes"
RESOLVE_REACTION = "white_check_mark"


def numbered(action: Action, index: int) -> str:
    """A unique action id for the index-th button of one kind in a message."""
    return f"{action}:{index}"


def matching(action: Action) -> re.Pattern[str]:
    """Matches `action` and its numbered variants, for registering one listener for all."""
    return re.compile(rf"^{re.escape(action)}(:\d+)?$")


# Customer buttons carry the id of the stored reply they sit under, so a press is answered in
# that reply's conversation, never in whatever channel the payload names.
LEGACY_VALUE = "button"  # the value of "Talk to a person" before buttons carried reply ids


def reply_value(message_id: int | None, article_id: str = "") -> str:
    """A customer button's value: the reply's id, and the article for a suggestion."""
    if message_id is None:
        return article_id or LEGACY_VALUE
    return f"{message_id}:{article_id}" if article_id else str(message_id)


# Row ids are 32-bit integers in the schema: a larger number in a forged value would make
# PostgreSQL raise instead of simply finding nothing.
ROW_ID_MAX = 2**31 - 1


def row_id(value: str) -> int | None:
    """A database row id from a button value, or None when it cannot be one."""
    if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= ROW_ID_MAX:
        return int(value)
    return None


def parse_reply_value(value: str) -> tuple[int | None, str]:
    """(reply id or None, article id) from a customer button's value; old buttons carry
    only the article id (suggestions) or LEGACY_VALUE."""
    head, sep, article_id = value.partition(":")
    message_id = row_id(head)
    if message_id is not None:
        return message_id, article_id
    if head.isascii() and head.isdigit():
        return 0, ""  # a number too large to be a row: points to nothing
    return None, "" if value == LEGACY_VALUE else value
