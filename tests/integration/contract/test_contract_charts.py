"""Repository contract for the leads' charts: agents' times after escalations and the weekly
counts, alike on the SQL stores and the in-memory fake."""

from __future__ import annotations

from datetime import timedelta

from bot.service.ports import Store
from bot.service.vocabulary import Resolution, Role
from lifecycle.summary import StageTimes
from tests.integration.contract.helpers import (
    ON_EVERY_STORE,
    at,
    customer,
    escalate,
    say,
    talk,
)

pytestmark = ON_EVERY_STORE


def test_escalation_times_run_to_the_first_agent_message_and_to_the_resolution(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        anna, ben = customer(uow, "UA"), customer(uow, "UB")
        answered = talk(uow, anna, 0, channel="D1", stage="purchase")
        waiting = talk(uow, ben, 5, channel="D2", stage="purchase")
        other = talk(uow, ben, 6, channel="D3", stage="support")
        old = talk(uow, ben, -500, channel="D4", stage="support")  # opened before the period
        first, _ = escalate(uow, answered, 10)
        say(uow, answered, Role.AGENT, "before the escalation: not a reply to it", 8)
        say(uow, answered, Role.CUSTOMER, "hello?", 11)
        say(uow, answered, Role.AGENT, "here I am", 14)
        say(uow, answered, Role.AGENT, "and more", 20)
        first.resolved_at = at(40)
        escalate(uow, waiting, 7)  # nobody answered yet: no first-reply time, no resolution
        third, _ = escalate(uow, other, 6)
        say(uow, other, Role.AGENT, "an article, sent", 6.5)
        third.resolved_at = at(126)
        escalate(uow, old, -400)
        say(uow, old, Role.AGENT, "long ago", -399)
        uow.commit()
    with any_store.unit_of_work() as uow:
        times = uow.repo.escalation_times(at(0), at(60))
    assert times == {
        "purchase": StageTimes(to_first_reply=(4.0,), to_resolve=(30.0,)),
        "support": StageTimes(to_first_reply=(0.5,), to_resolve=(120.0,)),
    }


def test_an_agent_message_after_the_resolution_is_no_reply_to_that_escalation(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow, "UA"), 0, stage="purchase")
        escalation, _ = escalate(uow, where, 1)
        escalation.resolved_at = at(5)
        say(uow, where, Role.AGENT, "too late for this one", 9)
        uow.commit()
    with any_store.unit_of_work() as uow:
        times = uow.repo.escalation_times(at(0), at(60))
    assert times == {"purchase": StageTimes(to_first_reply=(), to_resolve=(4.0,))}


def test_weekly_counts_put_each_conversation_in_the_window_it_was_opened_in(
    any_store: Store,
) -> None:
    week = timedelta(days=7).total_seconds() / 60
    with any_store.unit_of_work() as uow:
        anna = customer(uow, "UA")
        for minutes, stage, resolution, channel in (
            (1, "purchase", Resolution.SELF_SERVICE, "D1"),
            (2, "purchase", None, "D2"),
            (week, "purchase", Resolution.SELF_SERVICE, "D3"),  # a boundary opens the next one
            (week + 3, "support", Resolution.SELF_SERVICE, "D4"),
            (-1, "support", None, "D5"),  # before the first window
            (3 * week, "support", None, "D6"),  # at the end: outside
        ):
            talk(uow, anna, minutes, channel=channel, stage=stage, resolution=resolution)
        uow.commit()
    bounds = [at(0), at(week), at(2 * week), at(3 * week)]
    with any_store.unit_of_work() as uow:
        counts = uow.repo.weekly_counts(bounds)
        assert uow.repo.weekly_counts(bounds[:1]) == {}
    assert counts == {0: {"purchase": (2, 1)}, 1: {"purchase": (1, 1), "support": (1, 1)}}
