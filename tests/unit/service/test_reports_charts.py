"""The summary's agents' times and CSAT, and the weekly trend, after a real handoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import Services
from bot.service.actors import Actor
from bot.service.errors import NotAllowedError
from bot.service.outcomes import CustomerRef
from tests.conftest import T0

ANNA = CustomerRef("U-ANNA", "T1")
AGENT, LEAD, CUSTOMER = Actor("U-AG", is_agent=True), Actor("U-LEAD", is_lead=True), Actor("U-X")
MINUTE = timedelta(minutes=1)


def an_escalation_answered_resolved_and_rated(services: Services) -> str:
    """Escalated at T0, claimed at 2 min, answered at 5, resolved at 65, rated satisfied."""
    reply = services.desk.talk_to_human(ANNA, at=T0, channel="D1")
    assert reply.escalation is not None
    escalation = reply.escalation.id
    handoff = services.handoff
    handoff.attach_card(escalation, "CAGENTS", "100.1")
    handoff.claim(escalation, AGENT, T0 + 2 * MINUTE)
    handoff.agent_message("CAGENTS", "100.1", AGENT.user_id, "Hi Anna, here I am",
                          T0 + 5 * MINUTE)  # fmt: skip
    handoff.agent_message("CAGENTS", "100.1", AGENT.user_id, "Done", T0 + 30 * MINUTE)
    handoff.resolve(escalation, AGENT, T0 + 65 * MINUTE)
    assert handoff.rate(ANNA, escalation, True, T0 + 70 * MINUTE)
    return reply.escalation.stage


def test_the_summary_has_first_reply_resolve_time_and_csat_of_the_stage(
    services: Services,
) -> None:
    stage = an_escalation_answered_resolved_and_rated(services)
    summary = services.reports.summary(LEAD, T0 - timedelta(days=1), T0 + timedelta(days=1))
    row = next(row for row in summary.stages if row.stage == stage)
    assert (row.escalations, row.median_minutes_to_claim) == (1, 2.0)
    assert (row.median_minutes_to_first_reply, row.median_minutes_to_resolve) == (5.0, 65.0)
    assert (row.csat, row.csat_rated) == (1.0, 1)
    others = [row for row in summary.stages if row.stage != stage]
    assert all(r.csat is None and r.median_minutes_to_resolve is None for r in others)


def test_the_trend_counts_the_conversation_in_the_last_week_only(services: Services) -> None:
    an_escalation_answered_resolved_and_rated(services)
    trend = services.reports.trend(LEAD, T0 + timedelta(hours=2))
    assert len(trend.weeks) == 8 and trend.weeks[-1].end == T0 + timedelta(hours=2)
    assert [week.conversations for week in trend.weeks] == [0] * 7 + [1]
    assert trend.weeks[-1].self_service_rate == 0.0  # an agent resolved it, not the customer


def test_the_trend_is_for_staff_only(services: Services) -> None:
    with pytest.raises(NotAllowedError):
        services.reports.trend(CUSTOMER, T0)
    services.reports.trend(AGENT, T0)
