"""The replayed conversations: two customer messages each, started over one simulated day with
the busy hours of a European shop, so hundreds are open at once when the timers run."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from benchmarks.deskbench import phrases
from bot.service.replay import Script, Step

DAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
# Conversations started per hour (UTC), relative: quiet nights, busy office hours and evening.
HOURLY = (1, 1, 1, 1, 1, 2, 4, 7, 10, 11, 11, 10, 9, 10, 10, 10, 9, 8, 8, 7, 6, 4, 3, 2)
# The customer answers 15 s to 40 min after the app: often before the idle check, often after.
GAP_SECONDS = (15.0, 2400.0)
RETURNING = 0.2  # the share of conversations started by a customer seen earlier that day


def make_scripts(count: int, seed: int) -> list[Script]:
    """`count` two-message conversations, in the order they start."""
    rng = random.Random(seed)
    starts = sorted(_start(rng) for _ in range(count))
    customers: list[tuple[str, str, str | None]] = []  # (user id, language, Slack locale)
    scripts = []
    for number, start in enumerate(starts):
        if customers and rng.random() < RETURNING:
            user, lang, locale = rng.choice(customers)
        else:
            lang = phrases.language(rng)
            # Slack tells the user's locale most of the time; some write in another language.
            locale = lang if rng.random() < 0.7 else rng.choice([None, "en"])
            user = f"U{len(customers):07d}"
            customers.append((user, lang, locale))
        first = phrases.first_message(rng, lang)
        second = phrases.second_message(rng, lang, first)
        low, high = (math.log(s) for s in GAP_SECONDS)
        gap = timedelta(seconds=math.exp(rng.uniform(low, high)))
        steps = (Step(start, first), Step(start + gap, second))
        scripts.append(Script(f"c{number:06d}", user, locale, None, steps))
    return scripts


def texts_of(scripts: list[Script]) -> list[tuple[str, str | None]]:
    """Every message of every script, with the locale the desk is told, in replay order."""
    return [(step.text, s.locale) for s in scripts for step in s.steps if step.text is not None]


def _start(rng: random.Random) -> datetime:
    hour = rng.choices(range(24), HOURLY)[0]
    return DAY + timedelta(hours=hour, seconds=rng.random() * 3600)
