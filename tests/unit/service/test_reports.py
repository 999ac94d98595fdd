"""Reports on the FakeStore: staff only, and the per-stage summary counts what happened."""

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
DAY = timedelta(days=1)


def a_helped_question_and_an_escalated_one(services: Services) -> None:
    desk = services.desk
    desk.handle_message(ANNA, "how do I pay with paypal", at=T0, channel="D1")
    desk.record_feedback(ANNA, True, at=T0 + timedelta(minutes=1))
    # Off topic, and far from every stage example: "the weather in Rome" sounded like "when
    # will my order arrive in Italy?" (0.81, just over the meaning floor) on one CPU, not another.
    desk.handle_message(ANNA, "who won the football match yesterday",
                        at=T0 + timedelta(minutes=2), channel="D1")  # fmt: skip
    desk.talk_to_human(ANNA, at=T0 + timedelta(minutes=3), channel="D1")


def test_reports_are_for_staff_only(services: Services) -> None:
    reports = services.reports
    for read in (
        lambda actor: reports.summary(actor, T0 - DAY, T0 + DAY),
        lambda actor: reports.in_stage(actor, "purchase", T0),
        lambda actor: reports.stuck(actor, T0),
        lambda actor: reports.customer(actor, "T1", "U-ANNA", T0),
    ):
        with pytest.raises(NotAllowedError):
            read(CUSTOMER)
        read(AGENT)


def test_the_summary_counts_conversations_escalations_and_ratings_per_stage(
    services: Services,
) -> None:
    a_helped_question_and_an_escalated_one(services)
    summary = services.reports.summary(LEAD, T0 - DAY, T0 + DAY)
    assert summary.totals == {"conversations": 2, "escalations": 1}
    [busy] = [row for row in summary.stages if row.conversations]
    assert (busy.stage, busy.customers, busy.escalations) == ("purchase", 1, 1)
    assert (busy.self_service_rate, busy.satisfaction) == (0.5, 1.0)
    assert summary.transitions == (("awareness", "purchase", 1),)
    assert summary.unanswered == (("who won the football match yesterday", 1),)
    assert services.reports.summary(LEAD, T0 + DAY, T0 + 2 * DAY).totals["conversations"] == 0


def test_a_customer_profile_shows_their_stage_history(services: Services) -> None:
    assert services.reports.customer(LEAD, "T1", "U-ANNA", T0) is None
    a_helped_question_and_an_escalated_one(services)
    profile = services.reports.customer(LEAD, "T1", "U-ANNA", T0 + timedelta(minutes=5))
    assert profile.stage == "purchase"
    assert [(c.from_stage, c.to_stage) for c in profile.history] == [("awareness", "purchase")]
    [line] = services.reports.in_stage(LEAD, "purchase", T0 + timedelta(minutes=13))
    assert (line.user_id, line.status, line.waiting_minutes) == ("U-ANNA", "escalated", 10.0)
    assert line.escalation_id is not None
