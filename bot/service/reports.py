"""Reports for team leads: the per-stage summary, its weekly trend and one customer's profile."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.service.actors import Actor, require_staff
from bot.service.outcomes import ConversationLine, CustomerProfile
from bot.service.ports import Store, UnitOfWork
from bot.service.records import Conversation, Customer
from bot.service.vocabulary import ConversationStatus, Decision
from lifecycle.scores import (
    HOT,
    HOT_SCORE,
    MIN_SILENCE_DAYS,
    DissolutionRisk,
    dissolution_risk,
    temperature,
)
from lifecycle.stages import StageModel
from lifecycle.summary import Summary, summarise
from lifecycle.trend import Trend, week_bounds, weekly_trend

DRIFT_WINDOW = timedelta(days=180)  # customers quiet for longer are gone, not drifting
TOP = 20


class Reports:
    """Read-only views over the store for team leads (and agents): staff only."""

    def __init__(self, store: Store, model: StageModel) -> None:
        self.store = store
        self.model = model

    @staticmethod
    def check_reader(actor: Actor) -> None:
        """Raise unless `actor` may read reports (agents and leads)."""
        require_staff(actor)

    def summary(self, actor: Actor, since: datetime, until: datetime) -> Summary:
        """Per stage, for conversations opened in [since, until)."""
        require_staff(actor)
        with self.store.unit_of_work() as uow:
            repo = uow.repo
            return summarise(
                self.model,
                since,
                until,
                repo.stage_counts(since, until),
                repo.transition_counts(since, until),
                repo.unanswered_counts(since, until),
                at_risk=self._at_risk(uow, until),
                hot_leads=self._hot_leads(uow, until),
                times=repo.escalation_times(since, until),
                satisfaction=repo.satisfaction_counts(since, until),
            )

    def trend(self, actor: Actor, until: datetime, weeks: int = 8) -> Trend:
        """Conversations per stage and self-service, per 7-day window, `weeks` back to `until`."""
        require_staff(actor)
        bounds = week_bounds(until, weeks)
        with self.store.unit_of_work() as uow:
            return weekly_trend(self.model, bounds, uow.repo.weekly_counts(bounds))

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

    def in_stage(
        self, actor: Actor, stage: str, now: datetime, limit: int = 20
    ) -> list[ConversationLine]:
        """Conversations going on now in `stage`."""
        require_staff(actor)
        with self.store.unit_of_work() as uow:
            return [self._line(uow, c, now) for c in uow.repo.active_in_stage(stage, limit)]

    def stuck(self, actor: Actor, now: datetime, limit: int = 20) -> list[ConversationLine]:
        """Purchase-stage customers escalated, or waiting without a useful answer."""
        require_staff(actor)
        lines = []
        with self.store.unit_of_work() as uow:
            for conversation in uow.repo.active_in_stage(self.model.purchase_stage, limit * 5):
                line = self._line(uow, conversation, now)
                assert conversation.id is not None
                last = uow.repo.last_customer_message(conversation.id)
                unhelped = last is not None and last.decision in (Decision.NONE, Decision.SUGGEST)
                if conversation.status != ConversationStatus.OPEN or unhelped:
                    lines.append(line)
        return lines[:limit]

    @staticmethod
    def _line(uow: UnitOfWork, conversation: Conversation, now: datetime) -> ConversationLine:
        assert conversation.id is not None
        last = uow.repo.last_customer_message(conversation.id)
        escalation = uow.repo.open_escalation(conversation.id)
        customer = uow.repo.customer_by_id(conversation.customer_id)
        return ConversationLine(
            user_id=customer.user_id if customer else "",
            stage=conversation.stage,
            status=conversation.status,
            waiting_minutes=round((now - conversation.last_activity_at).total_seconds() / 60, 1),
            last_message=last.text if last else "",
            escalation_id=escalation.id if escalation else None,
            assigned_agent=escalation.assigned_agent if escalation else None,
        )

    def customer(
        self, actor: Actor, team_id: str, user_id: str, now: datetime
    ) -> CustomerProfile | None:
        """Stage history and scores of one customer, or None if never seen."""
        require_staff(actor)
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(team_id, user_id)
            if customer is None or customer.id is None:
                return None
            return CustomerProfile(
                user_id=customer.user_id,
                stage=customer.stage,
                stage_source=customer.stage_source,
                history=tuple(uow.repo.stage_changes(customer.id)),
                lead=temperature(customer.lead_score, customer.lead_scored_at, now),
                risk=self._risk(customer, now),
            )
