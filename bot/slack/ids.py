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


def numbered(action: Action, index: int) -> str:
    """A unique action id for the index-th button of one kind in a message."""
    return f"{action}:{index}"


def matching(action: Action) -> re.Pattern[str]:
    """Matches `action` and its numbered variants, for registering one listener for all."""
    return re.compile(rf"^{re.escape(action)}(:\d+)?$")
