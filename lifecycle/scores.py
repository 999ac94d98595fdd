"""Customer scores: lead temperature (engagement with decay) and dissolution risk.

Both are kept as a few numbers per customer, updated at each contact and read with the current
time, so a lead cools down by itself as days pass and a summary over a million messages does
not have to re-read them: the engagement score decays exponentially, so the stored value and
the time it was stored are all it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lifecycle.stages import StageModel

HOT = "hot"
WARM = "warm"
COLD = "cold"

HALF_LIFE_DAYS = 7.0  # a week without contact halves a lead's engagement
HOT_SCORE = 3.0
WARM_SCORE = 1.0
SPACING_FACTOR = 2.0  # a silence this many times the usual gap means contact is spacing out
MIN_SILENCE_DAYS = 7.0
GAP_SMOOTHING = 0.3  # weight of the newest gap in the running "usual gap"
AT_RISK = 0.5


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


def _days(later: datetime, earlier: datetime) -> float:
    return max((later - earlier).total_seconds(), 0.0) / 86400


def decayed(score: float, scored_at: datetime | None, now: datetime) -> float:
    """An engagement score stored at `scored_at`, as it stands at `now`."""
    if scored_at is None:
        return 0.0
    return score * 0.5 ** (_days(now, scored_at) / HALF_LIFE_DAYS)


def contact_weight(stage: str, model: StageModel) -> float:
    """How much one message counts towards a lead: near the purchase counts most, after it
    (support, loyalty) a customer is no longer a lead."""
    if stage not in model:
        return 1.0
    position, purchase = model.position(stage), model.position(model.purchase_stage)
    if position in (purchase - 1, purchase):
        return 1.5
    return 0.5 if position > purchase else 1.0


def engage(score: float, scored_at: datetime | None, now: datetime, weight: float) -> float:
    """The engagement score after one more contact at `now`."""
    return decayed(score, scored_at, now) + weight


def temperature(score: float, scored_at: datetime | None, now: datetime) -> LeadTemperature:
    current = decayed(score, scored_at, now)
    label = HOT if current >= HOT_SCORE else WARM if current >= WARM_SCORE else COLD
    return LeadTemperature(label, round(current, 2))


def usual_gap(previous: float | None, last_contact: datetime | None, now: datetime) -> float | None:
    """The running usual gap in days between conversations, after one starting at `now`."""
    if last_contact is None:
        return previous
    gap = _days(now, last_contact)
    if previous is None:
        return gap
    return (1 - GAP_SMOOTHING) * previous + GAP_SMOOTHING * gap


def dissolution_risk(
    last_contact: datetime | None,
    gap_days: float | None,
    stage: str,
    model: StageModel,
    now: datetime,
) -> DissolutionRisk:
    """Risk that the customer is drifting away: contact spacing out, or talk of leaving (the
    model's leaving stage)."""
    score = 0.0
    reasons: list[str] = []
    if last_contact is not None and gap_days:
        silence = _days(now, last_contact)
        if silence >= MIN_SILENCE_DAYS and silence > SPACING_FACTOR * gap_days:
            score += 0.4
            reasons.append(f"no contact for {silence:.0f} days; usually every {gap_days:.0f}")
    if model.leaving_stage is not None and stage == model.leaving_stage:
        score += 0.6
        reasons.append("talked about cancelling or leaving")
    return DissolutionRisk(round(min(score, 1.0), 2), tuple(reasons))
