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
