"""Repository contract: reports, erasure and units of work, alike on every store.

Each test uses only the port (bot/service/ports.py), so whatever the service relies on is checked
on the SQL repository and on the in-memory fake the unit tests run on.
"""

from __future__ import annotations

from bot.service.ports import Store
from bot.service.records import Feedback, StageChange
from bot.service.vocabulary import (
    Decision,
    Resolution,
    Role,
)
from lifecycle.summary import StageCounts
from tests.integration.contract.helpers import (
    ON_EVERY_STORE,
    RESOLVED,
    at,
    busy,
    customer,
    escalate,
    say,
    talk,
)

pytestmark = ON_EVERY_STORE


# -- reports ------------------------------------------------------------------------------


def test_stage_counts_sum_up_conversations_opened_in_the_period(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        anna, ben = customer(uow, "UA"), customer(uow, "UB")
        bought = talk(
            uow,
            anna,
            0,
            channel="D1",
            stage="purchase",
            resolution=Resolution.SELF_SERVICE,
            status=RESOLVED,
        )
        talk(
            uow,
            anna,
            5,
            channel="D2",
            stage="purchase",
            resolution=Resolution.ABANDONED,
            status=RESOLVED,
        )
        stuck = talk(uow, ben, 10, channel="D3", stage="purchase")
        talk(uow, ben, 20, channel="D4", stage="support")
        talk(uow, ben, -100, channel="D5", stage="support")  # opened before the period
        escalate(uow, stuck, 10)
        claimed, _ = escalate(uow, bought, 12)
        uow.repo.claim_escalation(claimed.id, "UAG", at(15))
        answer = say(uow, bought, Role.BOT, "a")
        for message, helpful, stage, minutes in (
            (answer, True, "purchase", 1),
            (say(uow, stuck, Role.BOT, "b"), False, "purchase", 11),
            (say(uow, stuck, Role.BOT, "c"), True, "evaluation", 12),
            (say(uow, stuck, Role.BOT, "d"), True, None, 13),
            (say(uow, stuck, Role.BOT, "e"), True, "purchase", 999),
        ):
            uow.repo.add_feedback(
                Feedback(message_id=message.id, helpful=helpful, at=at(minutes), stage=stage)
            )
        uow.commit()
    with any_store.unit_of_work() as uow:
        counts = uow.repo.stage_counts(at(0), at(60))
    assert set(counts) == {"purchase", "support", "evaluation"}
    purchase = counts["purchase"]
    assert purchase == StageCounts(
        conversations=3,
        customers=2,
        self_service=1,
        abandoned=1,
        escalations=2,
        rated=2,
        helpful=1,
        minutes_to_claim=(3.0,),
    )
    assert counts["support"] == StageCounts(conversations=1, customers=1)
    assert counts["evaluation"] == StageCounts(rated=1, helpful=1)


def test_transition_counts_group_the_moves_made_in_the_period(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        for minutes, before, after in (
            (1, None, "awareness"),
            (2, "awareness", "purchase"),
            (3, "awareness", "purchase"),
            (4, "purchase", "support"),
            (70, "support", "bonding"),
        ):
            uow.repo.add_stage_change(
                StageChange(customer_id=who.id, to_stage=after, at=at(minutes), from_stage=before)
            )
        moves = uow.repo.transition_counts(at(0), at(60))
    assert sorted(moves, key=str) == sorted(
        [(None, "awareness", 1), ("awareness", "purchase", 2), ("purchase", "support", 1)], key=str
    )


def test_unanswered_counts_rank_customer_questions_search_had_nothing_for(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        for text, minutes in (("weather?", 1), ("bitcoin?", 2), ("weather?", 3), ("weather?", 90)):
            say(uow, where, Role.CUSTOMER, text, minutes, decision=Decision.NONE)
        say(uow, where, Role.CUSTOMER, "paypal?", 4, decision=Decision.ANSWER)
        say(uow, where, Role.BOT, "bitcoin?", 5, decision=Decision.NONE)
        assert uow.repo.unanswered_counts(at(0), at(60)) == [("weather?", 2), ("bitcoin?", 1)]
        assert uow.repo.unanswered_counts(at(0), at(60), limit=1) == [("weather?", 2)]


# -- erasure ------------------------------------------------------------------------------


def test_erase_user_deletes_that_user_in_every_workspace_and_nobody_else(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        gone = [busy(uow, "UGONE", "T1").id, busy(uow, "UGONE", "T2").id]
        kept = busy(uow, "UKEEP", "T1")
        uow.commit()
    with any_store.unit_of_work() as uow:
        deleted = uow.repo.erase_user("UGONE")
        uow.commit()
    assert dict(+deleted) == {
        "customers": 2,
        "conversations": 2,
        "messages": 2,
        "feedback": 2,
        "escalations": 2,
        "stage changes": 4,
    }
    with any_store.unit_of_work() as uow:
        assert [uow.repo.customer_by_id(i) for i in gone] == [None, None]
        assert uow.repo.customer_history(kept.id) == (1, 0)
        assert len(uow.repo.stage_changes(kept.id)) == 2
        assert uow.repo.latest_conversation(kept.id).id is not None
        assert dict(+uow.repo.erase_user("UNOBODY")) == {}


def test_erase_before_deletes_only_conversations_last_active_before_it(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        old, new = busy(uow, "UOLD", "T1", -1000), busy(uow, "UNEW", "T1", 0)
        uow.commit()
    with any_store.unit_of_work() as uow:
        deleted = uow.repo.erase_before(at(-10), ("sent", "failed"))
        uow.commit()
    assert dict(+deleted) == {
        "conversations": 1,
        "messages": 1,
        "feedback": 1,
        "escalations": 1,
        "stage changes": 1,
    }
    with any_store.unit_of_work() as uow:
        assert uow.repo.customer_by_id(old.id) is not None  # the customer record stays
        assert uow.repo.latest_conversation(old.id) is None
        assert len(uow.repo.stage_changes(old.id)) == 1  # the change outside any conversation
        assert uow.repo.customer_history(new.id) == (1, 0)


# -- units of work ------------------------------------------------------------------------


def test_nothing_is_kept_without_commit(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        talk(uow, customer(uow))
    with any_store.unit_of_work() as uow:
        assert uow.repo.customer("T1", "U1") is None


def test_changes_to_records_read_are_saved_on_commit_only(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        escalation, _ = escalate(uow, where)
        uow.commit()
    with any_store.unit_of_work() as uow:
        uow.repo.conversation(where.id).stage = "support"
        uow.repo.escalation(escalation.id).reasons.append("dropped")
    with any_store.unit_of_work() as uow:
        assert uow.repo.conversation(where.id).stage == "awareness"
        uow.repo.conversation(where.id).stage = "purchase"
        uow.repo.escalation(escalation.id).reasons = ["asked", "kept"]
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.conversation(where.id).stage == "purchase"
        assert uow.repo.escalation(escalation.id).reasons == ["asked", "kept"]


def test_a_row_is_one_object_within_a_unit_of_work_and_another_in_the_next(
    any_store: Store,
) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        uow.commit()
    with any_store.unit_of_work() as uow:
        mine = uow.repo.customer("T1", "U1")
        assert mine is not None and mine is not who
        assert mine is uow.repo.customer_by_id(who.id)
        assert uow.repo.lead_candidates(0.0) == [mine]
