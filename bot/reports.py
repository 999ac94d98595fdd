"""Reports for team leads: the per-stage summary and one customer's profile."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.models import StageChange
from bot.store.unit_of_work import Store
from lifecycle.scores import (
    HOT,
    Contact,
    DissolutionRisk,
    LeadTemperature,
    dissolution_risk,
    lead_temperature,
)
from lifecycle.stages import StageModel
from lifecycle.summary import ConversationRecord, Summary, summarise

SCORE_WINDOW = timedelta(days=90)  # contacts older than this barely move either score
CANCELLATION_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class CustomerProfile:
    """A customer's stage, its history, and their scores."""

    user_id: str
    stage: str
    stage_source: str
    history: tuple[StageChange, ...]
    lead: LeadTemperature
    risk: DissolutionRisk


class Reports:
    """Read-only views over the store for team leads."""

    def __init__(self, store: Store, model: StageModel) -> None:
        self.store = store
        self.model = model

    def summary(self, since: datetime, until: datetime) -> Summary:
        """Per stage, for conversations opened in [since, until)."""
        with self.store.unit_of_work() as uow:
            repo = uow.repo
            records = [
                ConversationRecord(
                    customer_id=customer_id,
                    stage=stage,
                    resolution=resolution,
                    escalated=escalated_at is not None,
                    seconds_to_claim=(claimed_at - escalated_at).total_seconds()
                    if escalated_at and claimed_at
                    else None,
                )
                for customer_id, stage, resolution, escalated_at, claimed_at in (
                    repo.conversation_rows(since, until)
                )
            ]
            at_risk, hot = self._scored_customers(uow.repo.contacts(until - SCORE_WINDOW), until)
            return summarise(
                self.model,
                since,
                until,
                records,
                repo.rating_rows(since, until),
                repo.transition_rows(since, until),
                repo.unanswered_questions(since, until),
                at_risk=at_risk,
                hot_leads=hot,
            )

    def customer(self, team_id: str, user_id: str, now: datetime) -> CustomerProfile | None:
        """Stage history and scores of one customer, or None if never seen."""
        with self.store.unit_of_work() as uow:
            customer = uow.repo.customer(team_id, user_id)
            if customer is None:
                return None
            rows = uow.repo.contacts(now - SCORE_WINDOW, customer.id)
            lead, risk = self._scores(rows, customer.stage, now)
            return CustomerProfile(
                user_id=customer.user_id,
                stage=customer.stage,
                stage_source=customer.stage_source,
                history=tuple(uow.repo.stage_changes(customer.id)),
                lead=lead,
                risk=risk,
            )

    def _scores(
        self, rows: list[tuple], stage: str, now: datetime
    ) -> tuple[LeadTemperature, DissolutionRisk]:
        contacts = [Contact(at, contact_stage) for _, _, at, contact_stage, _ in rows]
        starts: dict[int, datetime] = {}
        for _, _, at, _, conversation_id in rows:
            starts.setdefault(conversation_id, at)
        last_stage = self.model.stages[-1].id
        cancelling = any(
            c.stage == last_stage and now - c.at <= CANCELLATION_WINDOW for c in contacts
        )
        return (
            lead_temperature(contacts, self.model, now),
            dissolution_risk(list(starts.values()), stage, self.model, now, cancelling),
        )

    def _scored_customers(self, rows: list[tuple], now: datetime) -> tuple[list[str], list[str]]:
        by_customer: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            by_customer[row[0]].append(row)
        at_risk: list[str] = []
        hot: list[str] = []
        for customer_rows in by_customer.values():
            user_id, stage = customer_rows[-1][1], customer_rows[-1][3]
            lead, risk = self._scores(customer_rows, stage, now)
            if risk.at_risk:
                at_risk.append(user_id)
            bought = stage in self.model and self.model.is_after_purchase(stage)
            if lead.label == HOT and not bought:
                hot.append(user_id)
        return sorted(at_risk), sorted(hot)
