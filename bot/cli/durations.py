"""Durations as people type them on a command line: 90s, 30m, 2h, 7d."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """'30m' -> 30 minutes; raises ValueError with the expected form otherwise."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"expected a duration such as 90s, 30m, 2h or 7d, got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def duration_argument(text: str) -> timedelta:
    """`parse_duration` for argparse: a bad value becomes a usage error naming the option."""
    import argparse

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
