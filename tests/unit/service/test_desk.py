"""The customer desk on the FakeStore: answers, stages, escalations, timers, redeliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.service.actors import Actor
from bot.service.desk import Desk
from bot.service.errors import NotAllowedError, NotFoundError, UnknownStageError
from bot.service.outcomes import CustomerRef, Reply
from bot.service.vocabulary import (
    ConversationStatus,
    Decision,
    Resolution,
    Role,
    StageSource,
)
from tests.conftest import T0

ANNA = CustomerRef("U-ANNA", "T1")
LEAD = Actor("U-LEAD", is_lead=True)


def ask(desk: Desk, text: str, minutes: float = 0, who: CustomerRef = ANNA, **extra: str) -> Reply:
    return desk.handle_message(who, text, at=T0 + timedelta(minutes=minutes), channel="D1", **extra)


def test_a_payment_question_is_answered_and_tags_the_purchase_stage(desk: Desk) -> None:
    reply = ask(desk, "how do I pay with paypal")
    assert reply.decision == Decision.ANSWER and reply.article.id == "payment-methods"
    assert reply.stage == "purchase" and reply.stage_changed and reply.stage_reason
    assert reply.escalation is None
    with desk.store.unit_of_work() as uow:
        customer = uow.repo.customer(ANNA.team_id, ANNA.user_id)
        assert (customer.stage, customer.stage_source) == ("purchase", StageSource.AUTO)
        stored = uow.repo.messages(reply.conversation_id)
        assert [(m.role, m.decision) for m in stored] == [
            (Role.CUSTOMER, Decision.ANSWER),
            (Role.BOT, Decision.ANSWER),
        ]
        assert stored[0].article_id == "payment-methods" and stored[1].id == reply.message_id
        [change] = uow.repo.stage_changes(customer.id)
        assert (change.from_stage, change.to_stage) == ("awareness", "purchase")


def test_thanks_is_answered_politely_and_counts_against_no_one(desk: Desk) -> None:
    ask(desk, "how do I pay with paypal")
    reply = ask(desk, "thanks!", minutes=1)
    assert reply.decision == Decision.CLOSING and reply.article is None
    assert reply.escalation is None and not reply.offer_human and not reply.stage_changed
    assert "welcome" in reply.text
    with desk.store.unit_of_work() as uow:
        assert uow.repo.unanswered_counts(T0, T0 + timedelta(days=1)) == []


def test_messages_are_relayed_while_a_person_holds_the_conversation(desk: Desk) -> None:
    held = desk.talk_to_human(ANNA, at=T0, channel="D1")
    reply = ask(desk, "how can I pay?", minutes=1)
    assert reply.decision == Decision.RELAYED and reply.article is None
    assert reply.conversation_id == held.conversation_id
    with desk.store.unit_of_work() as uow:
        last = uow.repo.last_customer_message(reply.conversation_id)
        assert last.text == "how can I pay?"  # kept for the agent, not answered
        assert len(uow.repo.escalations_with_status("open")) == 1


def test_an_answer_marked_not_helpful_twice_escalates_with_reasons(desk: Desk) -> None:
    ask(desk, "how do I pay with paypal")
    first = desk.record_feedback(ANNA, False, at=T0 + timedelta(minutes=1))
    assert first.decision == Decision.NOT_HELPFUL and first.escalation is None
    ask(desk, "do you deliver to Italy", minutes=2)
    second = desk.record_feedback(ANNA, False, at=T0 + timedelta(minutes=3))
    assert second.escalation is not None and second.escalation.new
    assert second.escalation.signals == ("not_helpful",)
    assert "the last 2 answers were marked not helpful" in second.escalation.reasons
    assert "person" in second.text
    with desk.store.unit_of_work() as uow:
        conversation = uow.repo.conversation(second.conversation_id)
        assert conversation.status == ConversationStatus.ESCALATED


def test_helpful_feedback_resolves_the_conversation_as_self_service(desk: Desk) -> None:
    assert desk.record_feedback(ANNA, True, at=T0) is None  # nothing to rate yet
    asked = ask(desk, "how can I pay?")
    reply = desk.record_feedback(ANNA, True, at=T0 + timedelta(minutes=1))
    assert reply.decision == Decision.HELPFUL
    with desk.store.unit_of_work() as uow:
        conversation = uow.repo.conversation(asked.conversation_id)
        assert (conversation.status, conversation.resolution) == ("resolved", "self_service")
        assert uow.repo.feedback_for([asked.message_id])[asked.message_id].helpful


def test_asking_for_a_person_escalates_once_whatever_the_stage(desk: Desk) -> None:
    first = desk.talk_to_human(ANNA, at=T0, channel="D1")
    assert first.decision == Decision.HANDOVER and first.escalation.new
    assert "asked_for_human" in first.escalation.signals and first.stage == "awareness"
    again = desk.talk_to_human(ANNA, at=T0 + timedelta(minutes=1), channel="D1")
    assert again.escalation.id == first.escalation.id and not again.escalation.new


def test_timers_escalate_a_buyer_left_waiting_once(desk: Desk) -> None:
    desk.set_stage(ANNA, "purchase", actor=LEAD, at=T0)
    asked = ask(desk, "can I pay half with two different cards")
    assert asked.decision == Decision.NONE and asked.escalation is None
    assert desk.run_timers(T0 + timedelta(minutes=2)) == []  # not idle long enough yet
    [event] = desk.run_timers(T0 + timedelta(minutes=10))
    assert event.conversation_id == asked.conversation_id and event.channel == "D1"
    assert "idle_after_question" in event.escalation.signals and event.escalation.new
    assert desk.run_timers(T0 + timedelta(minutes=11)) == []
    with desk.store.unit_of_work() as uow:
        last = uow.repo.messages(asked.conversation_id)[-1]
        assert (last.role, last.decision) == (Role.BOT, Decision.HANDOVER)


def test_timers_close_conversations_silent_for_a_day_as_abandoned(desk: Desk) -> None:
    asked = ask(desk, "how do I pay with paypal")
    desk.run_timers(T0 + timedelta(hours=25))
    with desk.store.unit_of_work() as uow:
        conversation = uow.repo.conversation(asked.conversation_id)
        assert (conversation.status, conversation.resolution) == ("resolved", Resolution.ABANDONED)
        assert conversation.resolved_at == conversation.last_activity_at == T0
    later = ask(desk, "how do I pay with paypal", minutes=60 * 26)
    assert later.conversation_id != asked.conversation_id


def test_setting_a_stage_by_hand_needs_a_lead_and_a_known_stage(desk: Desk) -> None:
    with pytest.raises(NotAllowedError):
        desk.set_stage(ANNA, "purchase", actor=Actor("U-AGENT", is_agent=True), at=T0)
    with pytest.raises(UnknownStageError):
        desk.set_stage(ANNA, "moon", actor=LEAD, at=T0)
    assert desk.set_stage(ANNA, "purchase", actor=LEAD, at=T0) == "awareness"
    with desk.store.unit_of_work() as uow:
        customer = uow.repo.customer(ANNA.team_id, ANNA.user_id)
        assert (customer.stage, customer.stage_source) == ("purchase", StageSource.MANUAL)
        [change] = uow.repo.stage_changes(customer.id)
        assert (change.actor, change.source) == (LEAD.user_id, StageSource.MANUAL)


def test_a_redelivered_message_gets_the_same_reply_and_is_stored_once(desk: Desk) -> None:
    first = ask(desk, "how do I pay with paypal", slack_ts="1700.1")
    again = ask(desk, "how do I pay with paypal", minutes=1, slack_ts="1700.1")
    assert (again.message_id, again.text, again.decision) == (
        first.message_id,
        first.text,
        first.decision,
    )
    assert again.article.id == first.article.id
    with desk.store.unit_of_work() as uow:
        assert len(uow.repo.messages(first.conversation_id)) == 2


def test_buttons_act_in_the_conversation_of_their_reply_and_refuse_others(desk: Desk) -> None:
    offered = ask(desk, "account")
    assert offered.decision == Decision.SUGGEST and offered.message_id is not None
    shown = desk.choose_suggestion(ANNA, offered.suggestions[0].id, at=T0, channel="C-FORGED",
                                   from_message=offered.message_id)  # fmt: skip
    assert shown is not None
    assert (shown.channel, shown.conversation_id) == ("D1", offered.conversation_id)
    held = desk.talk_to_human(ANNA, at=T0, channel="C-FORGED", from_message=shown.message_id)
    assert held.channel == "D1" and held.conversation_id == offered.conversation_id
    with pytest.raises(NotFoundError):
        desk.talk_to_human(CustomerRef("U-BEN", "T1"), at=T0, channel="D2",
                           from_message=shown.message_id)  # fmt: skip
    with pytest.raises(NotFoundError):
        desk.choose_suggestion(ANNA, "refunds", at=T0, channel="D1", from_message=10**9)


def counting_assessments(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Conversation ids the escalator assesses from now on, in order."""
    seen: list[int] = []
    assess = desk.escalator.assess

    def counted(uow, conversation, now):  # noqa: ANN001, ANN202 - a transparent wrapper
        seen.append(conversation.id)
        return assess(uow, conversation, now)

    monkeypatch.setattr(desk.escalator, "assess", counted)
    return seen


def due_at(desk: Desk, conversation_id: int):  # noqa: ANN201
    with desk.store.unit_of_work() as uow:
        return uow.repo.conversation(conversation_id).due_at


def test_new_activity_moves_the_idle_check_and_timers_read_only_what_is_due(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = desk.conversations.idle
    asked = ask(desk, "how do I pay with paypal")
    assert due_at(desk, asked.conversation_id) == T0 + idle
    ask(desk, "and with klarna?", minutes=5)
    assert due_at(desk, asked.conversation_id) == T0 + timedelta(minutes=5) + idle
    seen = counting_assessments(desk, monkeypatch)
    assert desk.run_timers(T0 + idle + timedelta(minutes=1)) == [] and seen == []


def test_a_conversation_found_not_stuck_is_not_assessed_again_until_it_moves(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = ask(desk, "how do I pay with paypal")
    seen = counting_assessments(desk, monkeypatch)
    idle = desk.conversations.idle
    for minutes in range(0, 600, 7):
        assert desk.run_timers(T0 + idle + timedelta(minutes=minutes)) == []
    assert seen == [asked.conversation_id]  # once, at its due time
    assert due_at(desk, asked.conversation_id) == T0 + timedelta(hours=24)
    desk.run_timers(T0 + timedelta(hours=24))
    with desk.store.unit_of_work() as uow:
        closed = uow.repo.conversation(asked.conversation_id)
        assert (closed.resolution, closed.due_at) == (Resolution.ABANDONED, None)
    assert seen == [asked.conversation_id]  # closing needs no assessment


def test_a_due_time_missed_by_a_pass_is_caught_by_the_next(desk: Desk) -> None:
    desk.set_stage(ANNA, "purchase", actor=LEAD, at=T0)
    asked = ask(desk, "can I pay half with two different cards")
    late = T0 + timedelta(hours=3)  # the worker was down at the due time
    [event] = desk.run_timers(late)
    assert event.conversation_id == asked.conversation_id
    assert due_at(desk, asked.conversation_id) is None  # a person has it now
