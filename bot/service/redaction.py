"""Redact card numbers and remove hidden control characters before text is stored or shown.

The rule: no 13-19 digit number that passes the Luhn check, however it is written, is kept.
Digits are any script's (`\\d`: "４１１１" counts as 4111). Digits joined by gaps of one to
MAX_GAP separators (spaces of every kind, tabs, dashes, dots, slashes, invisible formatting
characters) form a run; each stretch of whole groups of a run is a candidate, so a card
followed by its expiry and code ("4111 1111 1111 1111 12/27 123") is caught. A line break or
anything else ends a run, and an unbroken block of digits is never split: an unbroken 12- or
20-digit number is kept whole. Digits glued to letters ("ORD4111...") are checked like any
others: "card4111..." is a card too, and an order id that is not one fails Luhn 9 times in 10.
The price: a long grouped number (a tracking number, an IBAN's digits) may have one stretch
that passes Luhn by chance, and that stretch is redacted.
"""

from __future__ import annotations

import re

from knowledge_base.loader import without_controls

MAX_TEXT = 4000  # characters kept of one incoming message; Slack's own limit is far higher
# An agent's reply is never cut short of what Slack itself accepts in one message: it is sent
# on in parts (bot/slack/context.deliver).
MAX_AGENT_TEXT = 40_000
TRIMMED = " …[trimmed]"
MAX_GAP = 3  # separators in a row that still join digits: "4111 - 1111" has three
SEPARATORS = (
    # Every space (Unicode category Zs), and the tab: phones and word processors use
    # no-break (U+00A0), thin (U+2009) and narrow no-break (U+202F) spaces between groups.
    " \t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
    # Every dash (category Pd), and the minus sign.
    "-\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a\u2e3a\u2e3b"
    "\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead\u2212"
    # Dots and slashes, ASCII and full-width.
    "./\uff0e\uff0f"
    # Invisible characters pasted text carries: soft hyphen, zero-width space and joiners,
    # direction marks and embeddings, word joiner, byte order mark.
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061"
    "\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_SEP = "[" + re.escape(SEPARATORS) + "]"
_RUN = re.compile(rf"\d+(?:{_SEP}{{1,{MAX_GAP}}}\d+)*")
_GROUP = re.compile(r"\d+")
_SHORTEST, _LONGEST = 13, 19
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its two digits summed
# How far past a cut redaction must look to decide as it would on the whole text: the widest
# card (19 digits, 18 gaps of MAX_GAP) even where every marker stretched its digits 28/13 times.
_REACH = 200


def luhn_valid(digits: str) -> bool:
    """True when `digits` passes the Luhn check that card numbers carry."""
    values = [int(char) for char in reversed(digits)]
    return (sum(values[0::2]) + sum(_DOUBLED[v] for v in values[1::2])) % 10 == 0


def _marker(digits: str) -> str:
    return "[card number redacted …" + "".join(str(int(d)) for d in digits[-4:]) + "]"


def _card_from(groups: list[re.Match[str]], start: int) -> int | None:
    """The last group of the longest card-like stretch of whole groups from `start`, if any;
    the Luhn sums are kept for both parities so each added digit costs the same."""
    sums = [0, 0, 0, 0]  # plain and doubled sums of the digits at even, then odd, places
    count, found = 0, None
    for end in range(start, len(groups)):
        for char in groups[end].group():
            value, place = int(char), 2 * (count % 2)
            sums[place] += value
            sums[place + 1] += _DOUBLED[value]
            count += 1
            if count > _LONGEST:
                return found
        # Counted from the right, as Luhn does: the last digit is plain, the one before doubled.
        total = sums[0] + sums[3] if count % 2 else sums[1] + sums[2]
        if count >= _SHORTEST and total % 10 == 0:
            found = end
    return found


def _redact_run(match: re.Match[str]) -> str:
    """Replace each card in one run: from each group, the longest stretch that is one."""
    run = match.group()
    if len(run) < _SHORTEST:
        return run
    groups = list(_GROUP.finditer(run))
    out: list[str] = []
    kept_from = start = 0
    while start < len(groups):
        end = _card_from(groups, start)
        if end is None:
            start += 1
            continue
        digits = "".join(group.group() for group in groups[start : end + 1])
        out += [run[kept_from : groups[start].start()], _marker(digits)]
        kept_from, start = groups[end].end(), end + 1
    return "".join(out) + run[kept_from:] if out else run


def redact(text: str) -> str:
    """Replace card numbers with a marker that keeps the last four digits for reference."""
    return _RUN.sub(_redact_run, text)


def scrub(text: str, limit: int | None = None) -> str:
    """Text fit to keep: control characters removed, card numbers redacted, and, with a
    `limit`, at most `limit` characters, ending in TRIMMED when cut."""
    text = without_controls(text)
    return redact(text) if limit is None else _capped(text, limit)


def clean_incoming(text: str, limit: int = MAX_TEXT) -> str:
    """What is kept of a customer's message: control characters removed, card numbers
    redacted, length capped (cleaning it again changes nothing)."""
    return _capped(without_controls(text).strip(), limit)


def _capped(text: str, limit: int) -> str:
    """Redact and cut to `limit` characters, redacting only about as much as is kept: the
    kept part is exactly the start of the whole text redacted."""
    window = 3 * limit + _REACH
    redacted = redact(text[:window])
    while window < len(text) and len(redacted) < limit + _REACH:
        window *= 2  # markers made the window shorter than what must be looked at
        redacted = redact(text[:window])
    if len(redacted) <= limit and window >= len(text):
        return redacted
    cut = max(limit - len(TRIMMED), 0)
    head = redacted[:cut]
    if head[-1:].isdecimal() and redacted[cut].isdecimal():
        # A group cut in two could make a new 13-19 digit stretch: drop its first part.
        start = len(head)
        while start and head[start - 1].isdecimal():
            start -= 1
            if len(head) - start > _LONGEST:
                break  # a group of more digits than a card is part of no card
        else:
            head = head[:start]
    return head + TRIMMED
