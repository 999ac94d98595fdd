"""Repository contract: customers and conversations, the same on the fake, SQLite and PostgreSQL.

Each test uses only the port (bot/service/ports.py), so whatever the service relies on is checked
on the SQL repository and on the in-memory fake the unit tests run on.
"""

from __future__ import annotations

from bot.service.ports import Store
from bot.service.vocabulary import (
    ConversationStatus,
    Role,
    StageSource,
)
from tests.conftest import T0
from tests.integration.contract.helpers import (
    ON_EVERY_STORE,
    OPEN,
    RESOLVED,
    at,
    customer,
    say,
    talk,
)

pytestmark = ON_EVERY_STORE


# -- customers ----------------------------------------------------------------------------


def test_a_customer_is_created_once_and_keeps_its_first_stage(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        first, created = uow.repo.get_or_create_customer("T1", "U1", "awareness", T0, "it")
        assert created and first.id is not None and first.stage_source == StageSource.DEFAULT
        uow.commit()
    with any_store.unit_of_work() as uow:
        again, created = uow.repo.get_or_create_customer("T1", "U1", "purchase", at(5))
        assert not created
        assert (again.id, again.stage, again.locale, again.first_seen) == (
            first.id,
            "awareness",
            "it",
            T0,
        )
        assert uow.repo.customer_by_id(first.id) is again
        assert uow.repo.customer("T2", "U1") is None


def test_a_customer_created_meanwhile_by_another_worker_is_theirs(any_store: Store) -> None:
    with any_store.unit_of_work() as late:
        with any_store.unit_of_work() as early:
            theirs = customer(early)
            early.commit()
        ours, created = late.repo.get_or_create_customer("T1", "U1", "purchase", at(1))
        assert not created and ours.id == theirs.id and ours.stage == "awareness"
        ours.last_seen = at(1)
        late.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.customer("T1", "U1").last_seen == at(1)


def test_customer_history_counts_conversations_and_their_own_messages(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        anna, ben = customer(uow, "UA"), customer(uow, "UB")
        for n in range(3):
            where = talk(uow, anna, n, channel=f"D{n}")
            say(uow, where, Role.CUSTOMER, f"question {n}", n)
            say(uow, where, Role.BOT, f"answer {n}", n)
        say(uow, talk(uow, ben), Role.CUSTOMER, "other", 9)
        assert uow.repo.customer_history(anna.id) == (3, 3)
        recent = uow.repo.recent_customer_messages(anna.id, limit=2)
        assert [m.text for m in recent] == ["question 1", "question 2"]
        assert uow.repo.customer_history(12345) == (0, 0)


def test_lead_candidates_score_at_least_the_minimum_highest_first(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        for user, score in (("U1", 0.2), ("U2", 0.9), ("U3", 0.5), ("U4", 0.7)):
            customer(uow, user).lead_score = score
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert [c.user_id for c in uow.repo.lead_candidates(0.5)] == ["U2", "U4", "U3"]
        assert [c.user_id for c in uow.repo.lead_candidates(0.5, limit=1)] == ["U2"]


def test_drifting_candidates_are_leaving_or_quiet_regulars_seen_recently(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        for user, seen, stage, gap in (
            ("ULEAVING", 50, "dissolution", None),
            ("UQUIET", 20, "bonding", 3.0),
            ("UBUSY", 90, "bonding", 3.0),  # seen after seen_before
            ("UNOGAP", 20, "bonding", None),
            ("UGONE", 1, "dissolution", 3.0),
        ):
            who = customer(uow, user)
            who.last_seen, who.stage, who.usual_gap_days = at(seen), stage, gap
        found = uow.repo.drifting_candidates(at(10), at(60), "dissolution")
        assert [c.user_id for c in found] == ["ULEAVING", "UQUIET"]
        assert [c.user_id for c in uow.repo.drifting_candidates(at(10), at(60), None)] == ["UQUIET"]
        assert len(uow.repo.drifting_candidates(at(10), at(60), "dissolution", limit=1)) == 1


# -- conversations ------------------------------------------------------------------------


def test_the_active_conversation_is_the_newest_going_on_in_that_thread(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        talk(uow, who, thread_ts="1.1", status=RESOLVED)
        claimed = talk(uow, who, 1, thread_ts="1.1", status=ConversationStatus.CLAIMED)
        talk(uow, who, 2, thread_ts="2.2")
        uow.commit()
    with any_store.unit_of_work() as uow:
        found = uow.repo.active_conversation(who.id, "D1", "1.1")
        assert found is not None and found.id == claimed.id
        assert found is uow.repo.conversation(claimed.id)
        assert uow.repo.active_conversation(who.id, "D9", "1.1") is None
        found.status = RESOLVED
        assert uow.repo.active_conversation(who.id, "D1", "1.1") is None


def test_the_latest_conversation_is_the_most_recently_active(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        assert uow.repo.latest_conversation(who.id) is None
        older = talk(uow, who, 0, channel="D1", last_activity_at=at(30))
        talk(uow, who, 10, channel="D2", last_activity_at=at(20))
        assert uow.repo.latest_conversation(who.id) is older


def test_timers_read_only_open_conversations_that_are_due(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        later = talk(uow, who, channel="DLATER", due_at=at(-10))
        first = talk(uow, who, channel="DFIRST", due_at=at(-60))
        edge = talk(uow, who, channel="DEDGE", due_at=at(0))
        talk(uow, who, channel="DFUTURE", due_at=at(1))
        talk(uow, who, channel="DNEVER", due_at=None)
        talk(uow, who, channel="DDONE", due_at=at(-10), status=RESOLVED)
        talk(uow, who, channel="DHELD", due_at=at(-10), status=ConversationStatus.ESCALATED)
        uow.commit()
    with any_store.unit_of_work() as uow:
        due = uow.repo.due_conversations(at(0), limit=10)
        assert [c.id for c in due] == [first.id, later.id, edge.id]
        assert [c.id for c in uow.repo.due_conversations(at(0), limit=2)] == [first.id, later.id]


def test_active_in_stage_lists_going_conversations_most_recent_first(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        for n, status in enumerate((OPEN, ConversationStatus.ESCALATED, RESOLVED, OPEN)):
            talk(uow, who, n, channel=f"D{n}", stage="purchase", status=status)
        talk(uow, who, 9, channel="D9")
        found = uow.repo.active_in_stage("purchase", limit=10)
        assert [c.channel for c in found] == ["D3", "D1", "D0"]
        assert [c.channel for c in uow.repo.active_in_stage("purchase", limit=2)] == ["D3", "D1"]
