"""Customer scores: lead temperature (engagement with decay) and dissolution risk.

Both are computed from a customer's contacts and the current time, so they are never stale and
need no background job: a lead cools down by itself as days pass without contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from lifecycle.stages import StageModel

HOT = "hot"
WARM = "warm"
COLD = "cold"

HALF_LIFE_DAYS = 7.0  # a week without contact halves a lead's engagement
HOT_SCORE = 3.0
WARM_SCORE = 1.0
SPACING_FACTOR = 2.0  # a gap this many times the usual one means contact is spacing out
AT_RISK = 0.5


@dataclass(frozen=True)
class Contact:
    """One customer message: when, and the conversation's stage then."""

    at: datetime
    stage: str


@dataclass(frozen=True)
class LeadTemperature:
    label: str  # HOT, WARM or COLD
    score: float


@dataclass(frozen=True)
class DissolutionRisk:
    score: float  # 0..1
    reasons: tuple[str, ...]

    @property
    def at_risk(self) -> bool:
        return self.score >= AT_RISK


def lead_temperature(
    contacts: Sequence[Contact], model: StageModel, now: datetime
) -> LeadTemperature:
    """Engagement over time with exponential decay; buying-stage messages count more."""
    score = 0.0
    for contact in contacts:
        age_days = max((now - contact.at).total_seconds(), 0.0) / 86400
        weight = 1.0
        if contact.stage in model:
            position = model.position(contact.stage)
            purchase = model.position(model.purchase_stage)
            # Closer to the purchase means a warmer lead; after it, this is support, not a lead.
            weight = (
                1.5 if position in (purchase - 1, purchase) else 0.5 if position > purchase else 1
            )
        score += weight * 0.5 ** (age_days / HALF_LIFE_DAYS)
    label = HOT if score >= HOT_SCORE else WARM if score >= WARM_SCORE else COLD
    return LeadTemperature(label, round(score, 2))


def dissolution_risk(
    conversation_starts: Sequence[datetime],
    current_stage: str,
    model: StageModel,
    now: datetime,
    cancellation_talk: bool = False,
) -> DissolutionRisk:
    """Risk that the customer is drifting away: contact spacing out, talk of cancelling."""
    score = 0.0
    reasons: list[str] = []
    starts = sorted(conversation_starts)
    if len(starts) >= 3:
        gaps = [(b - a).total_seconds() / 86400 for a, b in zip(starts, starts[1:], strict=False)]
        usual = median(gaps)
        silence = (now - starts[-1]).total_seconds() / 86400
        if usual > 0 and silence > SPACING_FACTOR * usual and silence >= 7:
            score += 0.4
            reasons.append(f"no contact for {silence:.0f} days; usually every {usual:.0f}")
    last_stage = model.stages[-1].id
    if cancellation_talk or current_stage == last_stage:
        score += 0.6
        reasons.append("talked about cancelling or leaving")
    return DissolutionRisk(round(min(score, 1.0), 2), tuple(reasons))
