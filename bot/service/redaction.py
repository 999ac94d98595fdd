"""Redact card numbers before anything is stored, logged or shown to an agent."""

from __future__ import annotations

import re

# 13-19 digits, optionally grouped with single spaces or dashes.
_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
MAX_TEXT = 4000  # characters kept of one incoming message; Slack's own limit is far higher


def luhn_valid(digits: str) -> bool:
    """True when `digits` passes the Luhn check that card numbers carry."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def redact(text: str) -> str:
    """Replace card numbers with a marker that keeps the last four digits for reference."""

    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            return match.group()
        return f"[card number redacted …{digits[-4:]}]"

    return _CANDIDATE.sub(replace, text)


def clean_incoming(text: str) -> str:
    """What is kept of a customer's message: card numbers redacted, length capped."""
    text = redact(text.strip())
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + " …[trimmed]"
    return text
