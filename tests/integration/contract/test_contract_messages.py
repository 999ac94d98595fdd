"""Repository contract: messages, feedback, stages and escalations, alike on every store.

Each test uses only the port (bot/service/ports.py), so whatever the service relies on is checked
on the SQL repository and on the in-memory fake the unit tests run on.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.service.ports import Store
from bot.service.records import Feedback, StageChange
from bot.service.vocabulary import (
    ConversationStatus,
    Decision,
    EscalationStatus,
    Role,
    StageSource,
)
from tests.conftest import T0
from tests.fakes.store import ConstraintError
from tests.integration.contract.helpers import (
    ON_EVERY_STORE,
    at,
    customer,
    escalate,
    say,
    talk,
)

pytestmark = ON_EVERY_STORE


# -- messages and feedback ----------------------------------------------------------------


def test_added_messages_get_ids_at_once_and_read_back_in_order(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        first = say(uow, where, Role.CUSTOMER, "hello", slack_ts="1.1")
        second = say(uow, where, Role.BOT, "hi!", decision=Decision.SMALLTALK)
        assert first.id is not None and second.id is not None and second.id > first.id
        assert uow.repo.message(first.id) is first
        uow.commit()
    with any_store.unit_of_work() as uow:
        read = uow.repo.messages(where.id)
        assert [(m.role, m.text, m.slack_ts) for m in read] == [
            ("customer", "hello", "1.1"),
            ("bot", "hi!", None),
        ]
        assert read[0].created_at == T0 and read[0].created_at.tzinfo is not None
        assert uow.repo.message(999) is None


def test_the_last_bot_answer_is_the_latest_reply_that_showed_articles(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        assert uow.repo.last_bot_answer(where.id) is None
        say(uow, where, Role.BOT, "pay like this", decision=Decision.ANSWER, article_id="pay")
        suggested = say(uow, where, Role.BOT, "one of these?", decision=Decision.SUGGEST)
        say(uow, where, Role.BOT, "sorry", decision=Decision.NONE)
        say(uow, where, Role.CUSTOMER, "answer", decision=Decision.ANSWER)
        assert uow.repo.last_bot_answer(where.id) is suggested


def test_a_customer_message_is_found_by_channel_and_ts_with_its_reply(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow), channel="D1")
        asked = say(uow, where, Role.CUSTOMER, "how do I pay?", slack_ts="5.5")
        say(uow, where, Role.AGENT, "let me see", decision=Decision.AGENT)
        reply = say(uow, where, Role.BOT, "like this", decision=Decision.ANSWER)
        later = say(uow, where, Role.CUSTOMER, "thanks", slack_ts="6.6")
        uow.commit()
    with any_store.unit_of_work() as uow:
        found = uow.repo.customer_message_by_ts("D1", "5.5")
        assert found is not None
        message, conversation = found
        assert (message.id, conversation.id) == (asked.id, where.id)
        assert uow.repo.customer_message_by_ts("D2", "5.5") is None
        assert uow.repo.reply_to(message).id == reply.id
        assert uow.repo.reply_to(uow.repo.message(later.id)) is None
        assert uow.repo.last_customer_message(where.id).id == later.id


def test_feedback_is_kept_once_per_message(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        answer, other = say(uow, where, Role.BOT, "a"), say(uow, where, Role.BOT, "b")
        stored = uow.repo.add_feedback(
            Feedback(message_id=answer.id, helpful=True, at=T0, stage="purchase")
        )
        assert stored.id is not None
        uow.commit()
    with any_store.unit_of_work() as uow:
        rated = uow.repo.feedback_for(iter([answer.id, other.id]))
        assert list(rated) == [answer.id] and rated[answer.id].helpful
        assert uow.repo.feedback_for([]) == {}
        with pytest.raises((IntegrityError, ConstraintError)):
            uow.repo.add_feedback(Feedback(message_id=answer.id, helpful=False, at=at(1)))


# -- stages -------------------------------------------------------------------------------


def test_stage_changes_read_in_time_order_with_each_earlier_stage_once(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        where = talk(uow, who)
        for minutes, before, after in (
            (5, "awareness", "purchase"),
            (1, None, "awareness"),
            (9, "purchase", "support"),
            (12, "support", "purchase"),
        ):
            uow.repo.add_stage_change(
                StageChange(
                    customer_id=who.id,
                    to_stage=after,
                    at=at(minutes),
                    conversation_id=where.id,
                    from_stage=before,
                    reason="test",
                )
            )
        uow.repo.add_stage_change(
            StageChange(
                customer_id=who.id,
                to_stage="bonding",
                at=at(20),
                from_stage="purchase",
                source=StageSource.MANUAL,
                actor="ULEAD",
            )
        )
        uow.commit()
    with any_store.unit_of_work() as uow:
        changes = uow.repo.stage_changes(who.id)
        assert [c.to_stage for c in changes] == [
            "awareness",
            "purchase",
            "support",
            "purchase",
            "bonding",
        ]
        assert changes[-1].source == StageSource.MANUAL and changes[-1].actor == "ULEAD"
        assert uow.repo.conversation_stages(where.id) == ["awareness", "purchase", "support"]


# -- escalations --------------------------------------------------------------------------


def test_a_conversation_has_one_open_escalation_at_a_time(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        first, ours = escalate(uow, where)
        assert ours and first.id is not None and first.status == EscalationStatus.OPEN
        second, ours = escalate(uow, where, 1)
        assert not ours and second is first
        assert uow.repo.open_escalation(where.id) is first
        first.status = EscalationStatus.RESOLVED
        assert uow.repo.open_escalation(where.id) is None
        third, ours = escalate(uow, where, 2)
        assert ours and third.id != first.id
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.open_escalation(where.id).id == third.id
        assert uow.repo.escalation(first.id).reasons == ["asked"]


def test_an_escalation_raised_meanwhile_by_another_worker_stands(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        where = talk(uow, customer(uow))
        uow.commit()
    with any_store.unit_of_work() as late:
        with any_store.unit_of_work() as early:
            theirs, _ = escalate(early, early.repo.conversation(where.id))
            early.commit()
        found, ours = escalate(late, where, 1)
        assert not ours and found.id == theirs.id and found.created_at == T0


def test_a_claim_is_won_once_and_a_late_claim_sees_the_winner(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        escalation, _ = escalate(uow, talk(uow, customer(uow)))
        uow.commit()
    with any_store.unit_of_work() as late:
        with any_store.unit_of_work() as early:
            won, claimed = early.repo.claim_escalation(escalation.id, "UAG1", at(1))
            assert won and claimed is early.repo.escalation(escalation.id)
            assert (claimed.status, claimed.assigned_agent) == (EscalationStatus.CLAIMED, "UAG1")
            early.commit()
        won, seen = late.repo.claim_escalation(escalation.id, "UAG2", at(2))
        assert not won and (seen.assigned_agent, seen.claimed_at) == ("UAG1", at(1))
        late.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.escalation(escalation.id).assigned_agent == "UAG1"
        assert [e.id for e in uow.repo.claimed_by("UAG1")] == [escalation.id]
        assert uow.repo.claimed_by("UAG2") == []


def test_escalations_are_found_by_card_status_and_reminder_time(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        who = customer(uow)
        raised = [escalate(uow, talk(uow, who, channel=f"D{n}"), n)[0] for n in range(4)]
        raised[0].agent_channel, raised[0].agent_thread_ts = "CAGENTS", "7.7"
        raised[1].reminded_at = at(30)
        raised[2].status = EscalationStatus.CLAIMED
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.escalation_by_thread("CAGENTS", "7.7").id == raised[0].id
        assert uow.repo.escalation_by_thread("CAGENTS", "8.8") is None
        open_ids = [e.id for e in uow.repo.escalations_with_status(EscalationStatus.OPEN)]
        assert open_ids == [raised[0].id, raised[1].id, raised[3].id]
        assert [e.id for e in uow.repo.unclaimed_before(at(10))] == [raised[0].id, raised[3].id]
        assert [e.id for e in uow.repo.unclaimed_before(at(2))] == [raised[0].id]


def test_an_escalations_reasons_changed_in_place_are_saved(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        escalation, _ = escalate(uow, talk(uow, customer(uow)))
        uow.commit()
    with any_store.unit_of_work() as uow:
        found = uow.repo.escalation(escalation.id)
        found.reasons.append("waited 20 minutes")
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.escalation(escalation.id).reasons == ["asked", "waited 20 minutes"]


def test_a_threads_active_conversation_is_found_whoever_the_customer(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        anna, bob = customer(uow, "UANNA"), customer(uow, "UBOB", team="TGUEST")
        talk(uow, anna, channel="C1", thread_ts="10.1", status=ConversationStatus.RESOLVED)
        theirs = talk(uow, bob, 1, channel="C1", thread_ts="10.1")
        talk(uow, anna, 2, channel="C1", thread_ts="11.1")
        uow.commit()
    with any_store.unit_of_work() as uow:
        found = uow.repo.conversation_in_thread("C1", "10.1")
        assert found is not None and found.id == theirs.id
        assert uow.repo.conversation_in_thread("C1", "12.1") is None
        assert uow.repo.conversation_in_thread("C2", "10.1") is None
