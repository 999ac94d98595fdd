"""Knowledge gaps on the FakeStore: what the desk failed becomes gaps, for staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import Services
from bot.service.actors import Actor
from bot.service.errors import NotAllowedError, UnknownStageError
from bot.service.gaps import Gaps
from bot.service.outcomes import CustomerRef
from bot.service.vocabulary import Decision
from knowledge_base.gaps import GapFinder
from tests.conftest import T0

ANNA, BOB, CARL = (CustomerRef(f"U-{name}", "T1") for name in ("ANNA", "BOB", "CARL"))
LEAD, CUSTOMER = Actor("U-LEAD", is_lead=True), Actor("U-X")
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


def gaps(services: Services) -> Gaps:
    """Grouped by words: the sentence model is for the slower tests."""
    return Gaps(services.store, GapFinder(None), services.model)


def customers_ask_what_the_knowledge_base_cannot_answer(services: Services) -> None:
    desk = services.desk
    weather = desk.handle_message(ANNA, "what's the weather in Rome tomorrow", at=T0,
                                  channel="D1")  # fmt: skip
    assert weather.decision == Decision.NONE
    desk.handle_message(BOB, "the weather in Rome tomorrow?", at=T0 + MINUTE, channel="D2")
    paid = desk.handle_message(CARL, "how do I pay with paypal", at=T0 + 2 * MINUTE,
                               channel="D3")  # fmt: skip
    assert paid.decision == Decision.ANSWER and paid.article is not None
    desk.record_feedback(CARL, False, at=T0 + 3 * MINUTE)


def test_gaps_are_for_staff_only(services: Services) -> None:
    with pytest.raises(NotAllowedError):
        gaps(services).report(CUSTOMER, T0 - DAY, T0 + DAY)
    assert gaps(services).report(Actor("U-AG", is_agent=True), T0 - DAY, T0 + DAY).gaps == ()


def test_an_unknown_stage_is_refused_with_the_stages_there_are(services: Services) -> None:
    with pytest.raises(UnknownStageError, match="purchase"):
        gaps(services).report(LEAD, T0 - DAY, T0 + DAY, stage="moon")


def test_questions_answered_none_and_answers_marked_not_helpful_become_gaps(
    services: Services,
) -> None:
    customers_ask_what_the_knowledge_base_cannot_answer(services)
    services.desk.handle_message(ANNA, "which payment methods do you accept?",
                                 at=T0 + 4 * MINUTE, channel="D1")  # fmt: skip
    services.desk.record_feedback(ANNA, True, at=T0 + 5 * MINUTE)  # helped: no gap
    report = gaps(services).report(LEAD, T0 - DAY, T0 + DAY)
    assert report.questions == 3 and report.total_gaps == 2
    weather, paypal = report.gaps
    assert (weather.customers, weather.questions) == (2, 2)
    assert sum(n for _, n in weather.stages) == 2 and weather.articles == ()
    assert paypal.label == "how do I pay with paypal"
    assert paypal.articles == (("payment-methods", 1),)
    assert report.method.startswith("words")


def test_the_period_and_the_stage_choose_the_questions(services: Services) -> None:
    customers_ask_what_the_knowledge_base_cannot_answer(services)
    later = gaps(services).report(LEAD, T0 + MINUTE + MINUTE / 2, T0 + DAY)
    assert later.questions == 1  # only Carl's, asked after the start of that period
    report = gaps(services).report(LEAD, T0 - DAY, T0 + DAY)
    stage = report.gaps[0].stages[0][0]
    only = gaps(services).report(LEAD, T0 - DAY, T0 + DAY, stage=stage)
    assert only.stage == stage
    assert all(dict(g.stages).keys() == {stage} for g in only.gaps)
