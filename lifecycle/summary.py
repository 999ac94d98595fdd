"""Per-stage summaries for team leads, from counts the store aggregates for one period."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from knowledge_base.text import fold
from lifecycle.stages import StageModel


@dataclass(frozen=True)
class StageCounts:
    """What happened in one stage during the period (aggregated by the database)."""

    conversations: int = 0
    customers: int = 0
    self_service: int = 0
    abandoned: int = 0
    escalations: int = 0
    rated: int = 0
    helpful: int = 0
    minutes_to_claim: tuple[float, ...] = ()


@dataclass(frozen=True)
class StageTimes:
    """Minutes per escalation in one stage: to the first agent reply the customer got (only
    escalations answered so far), and to resolution (only resolved ones)."""

    to_first_reply: tuple[float, ...] = ()
    to_resolve: tuple[float, ...] = ()


@dataclass(frozen=True)
class StageSummary:
    stage: str
    name: str
    conversations: int
    customers: int
    self_service_rate: float | None
    escalations: int
    escalation_rate: float | None
    median_minutes_to_claim: float | None
    satisfaction: float | None  # share of rated answers marked helpful
    abandoned_purchases: int
    median_minutes_to_first_reply: float | None = None  # after an escalation
    median_minutes_to_resolve: float | None = None
    csat: float | None = None  # share of post-resolve verdicts that were "satisfied"
    csat_rated: int = 0


@dataclass(frozen=True)
class Summary:
    since: datetime
    until: datetime
    stages: tuple[StageSummary, ...]
    transitions: tuple[tuple[str, str, int], ...]  # from, to, how many
    unanswered: tuple[tuple[str, int], ...]  # question, how often
    at_risk: tuple[str, ...] = field(default_factory=tuple)  # customer user ids
    hot_leads: tuple[str, ...] = field(default_factory=tuple)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "conversations": sum(s.conversations for s in self.stages),
            "escalations": sum(s.escalations for s in self.stages),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _median(minutes: Sequence[float]) -> float | None:
    return round(median(minutes), 1) if minutes else None


def summarise(
    model: StageModel,
    since: datetime,
    until: datetime,
    counts: Mapping[str, StageCounts],
    transitions: Sequence[tuple[str | None, str, int]],
    unanswered: Sequence[tuple[str, int]],
    at_risk: Sequence[str] = (),
    hot_leads: Sequence[str] = (),
    top: int = 5,
    times: Mapping[str, StageTimes] | None = None,
    satisfaction: Mapping[str, tuple[int, int]] | None = None,
) -> Summary:
    """The per-stage table, the funnel and the most frequent unanswered questions; `times`
    per stage after escalations, and `satisfaction` as (verdicts, satisfied) per stage."""
    rows = []
    for stage in model.stages:
        c = counts.get(stage.id, StageCounts())
        spent = (times or {}).get(stage.id, StageTimes())
        rated, satisfied = (satisfaction or {}).get(stage.id, (0, 0))
        rows.append(
            StageSummary(
                stage=stage.id,
                name=stage.name(),
                conversations=c.conversations,
                customers=c.customers,
                self_service_rate=_share(c.self_service, c.conversations),
                escalations=c.escalations,
                escalation_rate=_share(c.escalations, c.conversations),
                median_minutes_to_claim=_median(c.minutes_to_claim),
                satisfaction=_share(c.helpful, c.rated),
                abandoned_purchases=c.abandoned if stage.id == model.purchase_stage else 0,
                median_minutes_to_first_reply=_median(spent.to_first_reply),
                median_minutes_to_resolve=_median(spent.to_resolve),
                csat=_share(satisfied, rated),
                csat_rated=rated,
            )
        )
    funnel: Counter[tuple[str, str]] = Counter()
    for before, after, n in transitions:
        funnel[(before or "(new)", after)] += n
    # The same question typed with other capitals or accents is one question.
    questions: Counter[str] = Counter()
    wording: dict[str, str] = {}
    for text, n in unanswered:
        key = fold(text)
        if key:
            questions[key] += n
            wording.setdefault(key, text.strip())
    return Summary(
        since=since,
        until=until,
        stages=tuple(rows),
        transitions=tuple((a, b, n) for (a, b), n in funnel.most_common()),
        unanswered=tuple((wording[k], n) for k, n in questions.most_common(top)),
        at_risk=tuple(at_risk),
        hot_leads=tuple(hot_leads),
    )
