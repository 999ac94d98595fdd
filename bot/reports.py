"""Reports for team leads: the per-stage summary and one customer's profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.models import Customer, StageChange
from bot.store.unit_of_work import Store, UnitOfWork
from lifecycle.scores import (
    HOT,
    HOT_SCORE,
    MIN_SILENCE_DAYS,
    DissolutionRisk,
    LeadTemperature,
    dissolution_risk,
    temperature,
)
from lifecycle.stages import StageModel
from lifecycle.summary import StageCounts, Summary, summarise

DRIFT_WINDOW = timedelta(days=180)  # customers quiet for longer are gone, not drifting
TOP = 20


@dataclass(frozen=True)
class CustomerProfile:
    """A customer's stage, its history, and their scores."""

    user_id: str
    stage: str
    stage_source: str
    history: tuple[StageChange, ...]
    lead: LeadTemperature
    risk: DissolutionRisk


@dataclass(frozen=True)
class ConversationLine:
    """One conversation in a list for a lead: who, where, how long, what they last said."""

    user_id: str
    stage: str
    status: str
    waiting_minutes: float
    last_message: str
    escalation_id: int | None = None
    assigned_agent: str | None = None


class Reports:
    """Read-only views over the store for team leads."""

    def __init__(self, store: Store, model: StageModel) -> None:
        self.store = store
        self.model = model

    def summary(self, since: datetime, until: datetime) -> Summary:
        """Per stage, for conversations opened in [since, until)."""
        with self.store.unit_of_work() as uow:
            repo = uow.repo
            counts = {
                stage: StageCounts(
                    conversations=c["conversations"],
                    customers=c["customers"],
                    self_service=c["self_service"],
                    abandoned=c["abandoned"],
                    escalations=c["escalations"],
                    rated=c["rated"],
                    helpful=c["helpful"],
                    minutes_to_claim=tuple(c["minutes_to_claim"]),
                )  # fmt: skip
                for stage, c in repo.stage_counts(since, until).items()
            }
            return summarise(
                self.model,
                since,
                until,
                counts,
                repo.transition_counts(since, until),
                repo.unanswered_counts(since, until),
                at_risk=self._at_risk(uow, until),
                hot_leads=self._hot_leads(uow, until),
            )

    def _hot_leads(self, uow: UnitOfWork, now: datetime) -> list[str]:
        hot = []
        for customer in uow.repo.lead_candidates(HOT_SCORE):
            bought = customer.stage in self.model and self.model.is_after_purchase(customer.stage)
            lead = temperature(customer.lead_score, customer.lead_scored_at, now)
            if lead.label == HOT and not bought:
                hot.append((lead.score, customer.user_id))
        return [user for _, user in sorted(hot, reverse=True)[:TOP]]

    def _at_risk(self, uow: UnitOfWork, now: datetime) -> list[str]:
        risky = []
        quiet = now - timedelta(days=MIN_SILENCE_DAYS)
        for customer in uow.repo.drifting_candidates(now - DRIFT_WINDOW, quiet,
                                                     self.model.leaving_stage):  # fmt: skip
            risk = self._risk(customer, now)
            if risk.at_risk:
                risky.append((risk.score, customer.user_id))
        return [user for _, user in sorted(risky, reverse=True)[:TOP]]

    def _risk(self, customer: Customer, now: datetime) -> DissolutionRisk:
        return dissolution_risk(customer.last_seen, customer.usual_gap_days, customer.stage,
                                self.model, now)  # fmt: skip

    def in_stage(self, stage: str, now: datetime, limit: int = 20) -> list[ConversationLine]:
        """Conversations going on now in `stage`."""
        with self.store.unit_of_work() as uow:
            return [self._line(uow, c, now) for c in uow.repo.active_in_stage(stage, limit)]

    def stuck(self, now: datetime, limit: int = 20) -> list[ConversationLine]:
        """Purchase-stage customers escalated, or waiting without a useful answer."""
        lines = []
        with self.store.unit_of_work() as uow:
            for conversation in uow.repo.active_in_stage(self.model.purchase_stage, limit * 5):
                line = self._line(uow, conversation, now)
                last = uow.repo.last_customer_message(conversation.id)
                unhelped = last is not None and last.decision in ("none", "suggest")
                if conversation.status != "open" or unhelped:
                    lines.append(line)
        return lines[:limit]

    def _line(self, uow, conversation, now: datetime) -> ConversationLine:  # noqa: ANN001
        last = uow.repo.last_customer_message(conversation.id)
        escalation = uow.repo.open_escalation(conversation.id)
        return ConversationLine(
            user_id=conversation.customer.user_id,
            stage=conversation.stage,
            status=conversation.status,
            waiting_minutes=round((now - conversation.last_activity_at).total_seconds() / 60, 1),
            last_message=last.text if last else "",
            escalation_id=escalation.id if escalation else None,
            assigned_agent=escalation.assigned_agent if escalation else None,
        )

    def customer(self, team_id: str, user_id: str, now: datetime) -> CustomerProfile | None:
        """Stage history and scores of one customer, or None if never seen."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(team_id, user_id)
            if customer is None:
                return None
            return CustomerProfile(
                user_id=customer.user_id,
                stage=customer.stage,
                stage_source=customer.stage_source,
                history=tuple(uow.repo.stage_changes(customer.id)),
                lead=temperature(customer.lead_score, customer.lead_scored_at, now),
                risk=self._risk(customer, now),
            )
