"""Per-stage summaries for team leads, computed from plain records of one period."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from knowledge_base.text import fold
from lifecycle.stages import StageModel

RESOLVED_SELF_SERVICE = "self_service"
ABANDONED = "abandoned"


@dataclass(frozen=True)
class ConversationRecord:
    """What a summary needs to know of one conversation."""

    customer_id: int
    stage: str
    resolution: str | None  # self_service, agent, abandoned or None while open
    escalated: bool
    seconds_to_claim: float | None = None


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


def summarise(
    model: StageModel,
    since: datetime,
    until: datetime,
    conversations: Sequence[ConversationRecord],
    ratings: Sequence[tuple[str, bool]],
    transitions: Sequence[tuple[str | None, str]],
    unanswered: Sequence[str],
    at_risk: Sequence[str] = (),
    hot_leads: Sequence[str] = (),
    top: int = 5,
) -> Summary:
    """The per-stage table, the funnel and the most frequent unanswered questions."""
    by_stage: dict[str, list[ConversationRecord]] = defaultdict(list)
    for record in conversations:
        by_stage[record.stage].append(record)
    rated: dict[str, list[bool]] = defaultdict(list)
    for stage, helpful in ratings:
        rated[stage].append(helpful)
    rows = []
    for stage in model.stages:
        records = by_stage.get(stage.id, [])
        escalated = [r for r in records if r.escalated]
        claims = [r.seconds_to_claim / 60 for r in escalated if r.seconds_to_claim is not None]
        votes = rated.get(stage.id, [])
        rows.append(
            StageSummary(
                stage=stage.id,
                name=stage.name(),
                conversations=len(records),
                customers=len({r.customer_id for r in records}),
                self_service_rate=_share(
                    sum(r.resolution == RESOLVED_SELF_SERVICE for r in records), len(records)
                ),
                escalations=len(escalated),
                escalation_rate=_share(len(escalated), len(records)),
                median_minutes_to_claim=round(median(claims), 1) if claims else None,
                satisfaction=_share(sum(votes), len(votes)),
                abandoned_purchases=sum(r.resolution == ABANDONED for r in records)
                if stage.id == model.purchase_stage
                else 0,
            )
        )
    funnel = Counter((a or "(new)", b) for a, b in transitions)
    questions: Counter[str] = Counter()
    wording: dict[str, str] = {}
    for text in unanswered:
        key = fold(text)
        if key:
            questions[key] += 1
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
