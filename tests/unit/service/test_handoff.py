"""The live-agent handoff on the FakeStore: who may claim, resolve, relay and send articles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.service.actors import Actor
from bot.service.desk import Desk
from bot.service.errors import NotAllowedError, NotFoundError
from bot.service.handoff import Handoff
from bot.service.outcomes import CustomerRef
from bot.service.vocabulary import ConversationStatus, EscalationStatus, Resolution, Role
from tests.conftest import T0

ANNA = CustomerRef("U-ANNA", "T1")
AGENT, OTHER = Actor("U-AG1", is_agent=True), Actor("U-AG2", is_agent=True)
LEAD, CUSTOMER = Actor("U-LEAD", is_lead=True), Actor("U-ANNA")
CARD = ("C-AGENTS", "1700.5")  # where the escalation's card was posted


def escalated(desk: Desk, who: CustomerRef = ANNA, channel: str = "D1") -> int:
    """An escalation raised by a customer asking for a person; its card posted at CARD."""
    reply = desk.talk_to_human(who, at=T0, channel=channel)
    assert reply.escalation is not None
    return reply.escalation.id


def conversation_status(desk: Desk, escalation_id: int) -> tuple[str, str | None]:
    with desk.store.unit_of_work() as uow:
        escalation = uow.repo.escalation(escalation_id)
        conversation = uow.repo.conversation(escalation.conversation_id)
        return conversation.status, conversation.resolution


def test_only_staff_can_claim_an_escalation(desk: Desk, handoff: Handoff) -> None:
    escalation = escalated(desk)
    with pytest.raises(NotAllowedError):
        handoff.claim(escalation, CUSTOMER, T0)
    with pytest.raises(NotFoundError):
        handoff.claim(escalation + 99, AGENT, T0)
    assert handoff.card(escalation).status == EscalationStatus.OPEN


def test_two_agents_claiming_one_escalation_make_exactly_one_winner(
    desk: Desk, handoff: Handoff
) -> None:
    escalation = escalated(desk)
    first = handoff.claim(escalation, AGENT, T0 + timedelta(minutes=1))
    second = handoff.claim(escalation, OTHER, T0 + timedelta(minutes=2))
    assert (first.won, second.won) == (True, False)
    assert first.holder == second.holder == AGENT.user_id
    assert second.card.status == EscalationStatus.CLAIMED
    assert conversation_status(desk, escalation) == (ConversationStatus.CLAIMED, None)
    assert [card.escalation_id for card in handoff.held_by(AGENT.user_id)] == [escalation]
    assert handoff.held_by(OTHER.user_id) == []


def test_only_the_holder_or_a_lead_can_hand_a_conversation_back(
    desk: Desk, handoff: Handoff
) -> None:
    mine, theirs = escalated(desk), escalated(desk, CustomerRef("U-BEN", "T1"), "D2")
    handoff.claim(mine, AGENT, T0)
    handoff.claim(theirs, AGENT, T0)
    with pytest.raises(NotAllowedError):
        handoff.resolve(mine, OTHER, T0)
    assert handoff.resolve(mine, AGENT, T0).status == EscalationStatus.RESOLVED
    assert handoff.resolve(theirs, LEAD, T0).status == EscalationStatus.RESOLVED
    assert conversation_status(desk, mine) == (ConversationStatus.RESOLVED, Resolution.BY_AGENT)


def test_thread_replies_reach_the_customer_only_from_the_holder(
    desk: Desk, handoff: Handoff
) -> None:
    escalation = escalated(desk)
    handoff.attach_card(escalation, *CARD)
    assert handoff.agent_message(*CARD, AGENT.user_id, "hi, I'm here", T0) is None  # unclaimed
    handoff.claim(escalation, AGENT, T0)
    assert handoff.agent_message(*CARD, OTHER.user_id, "internal note", T0) is None
    assert handoff.agent_message("C-AGENTS", "9.9", AGENT.user_id, "wrong thread", T0) is None
    relay = handoff.agent_message(*CARD, AGENT.user_id, "hi, I'm here", T0)
    assert (relay.channel, relay.thread_ts, relay.text) == ("D1", "", "hi, I'm here")
    with desk.store.unit_of_work() as uow:
        stored = uow.repo.message(relay.message_id)
        assert (stored.role, stored.text) == (Role.AGENT, "hi, I'm here")
        said = [m.text for m in uow.repo.messages(stored.conversation_id) if m.role == Role.AGENT]
        assert said == ["hi, I'm here"]  # the note from the other agent stayed out


def test_an_agent_sends_an_article_to_the_customer_they_hold(desk: Desk, handoff: Handoff) -> None:
    escalation = escalated(desk)
    with pytest.raises(NotAllowedError):
        handoff.send_article(AGENT, "payment-methods", T0)  # holds nothing yet
    handoff.claim(escalation, AGENT, T0)
    relay = handoff.send_article(AGENT, "payment-methods", T0)
    assert relay.article.id == "payment-methods" and relay.text == relay.article.answer
    assert relay.agent == AGENT.user_id and relay.channel == "D1"
    with pytest.raises(NotFoundError):
        handoff.send_article(AGENT, "no-such-article", T0)
    with pytest.raises(NotAllowedError):
        handoff.send_article(OTHER, "payment-methods", T0, escalation_id=escalation)
    with pytest.raises(NotAllowedError):
        handoff.send_article(CUSTOMER, "payment-methods", T0, escalation_id=escalation)
    card = handoff.card(escalation)
    assert (Role.AGENT, relay.text) in card.recent
    assert "payment-methods" not in dict(card.articles_tried)  # what the app showed, not agents
