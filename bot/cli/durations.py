"""Durations as people type them on a command line: 90s, 30m, 2h, 7d."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from decimal import Decimal

# ASCII only: `\d` alone would take Arabic-Indic or full-width digits, which float() then accepts.
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd])\s*", re.ASCII)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A thousand years: longer than any retention or report period anyone means, and short enough
# that "now minus the period" always fits a datetime (never before year 1) and a timedelta.
LONGEST = timedelta(days=365_000)
_LONGEST_US = LONGEST // timedelta(microseconds=1)
# More whole digits than this is too long in any unit; checked first so the arithmetic stays small.
_MAX_WHOLE_DIGITS = len(str(_LONGEST_US))
EXPECTED = "expected a duration such as 90s, 30m, 2h or 7d"


def parse_duration(text: str, *, allow_zero: bool = False) -> timedelta:
    """'30m' -> 30 minutes; raises ValueError if malformed, zero (unless allowed) or too long."""
    match = _DURATION.fullmatch(text.lower())
    if not match:
        raise ValueError(f"{EXPECTED}, got {text!r}")
    amount, unit = match.groups()
    shown = text.strip()
    if len(amount.split(".")[0].lstrip("0")) > _MAX_WHOLE_DIGITS:
        raise ValueError(f"{shown[:40]!r} is too long: at most {LONGEST.days}d (1000 years)")
    # Decimal, not float: exact, so a long number is refused instead of becoming inf or rounding.
    microseconds = int(Decimal(amount) * _UNIT_SECONDS[unit] * 1_000_000)
    if microseconds > _LONGEST_US:
        raise ValueError(f"{shown!r} is too long: at most {LONGEST.days}d (1000 years)")
    if microseconds == 0 and not allow_zero:
        raise ValueError(f"{shown[:40]!r} is no time at all: the period must be longer than 0")
    return timedelta(microseconds=microseconds)


def duration_argument(text: str) -> timedelta:
    """`parse_duration` for argparse: a bad value becomes a usage error naming the option."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def duration_or_zero_argument(text: str) -> timedelta:
    """`duration_argument` that also accepts 0, for waits where none at all makes sense."""
    try:
        return parse_duration(text, allow_zero=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
