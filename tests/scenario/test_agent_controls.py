"""Controls agents expect on the card (issue 14): reactions claim and resolve, Unclaim and
Reassign, a card that shows where the conversation stands, the satisfaction question after
Resolve, the *Escalate to support* shortcut and routing rules. The real Bolt app over signed
HTTP; the strict fake Slack checks every call the app makes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Route
from bot.service.errors import NotFoundError
from tests.scenario.conftest import (
    AGENT_A,
    AGENT_B,
    AGENTS_CHANNEL,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    DM,
    LEAD,
    Running,
)
from tests.scenario.fake_slack import Call
from tests.scenario.slack_requests import (
    block_action,
    message_event,
    message_shortcut,
    new_ts,
    reaction_event,
    user_select_action,
)

SALES_CHANNEL = "CSALES"


def text_of(call: Call) -> str:
    return call.params.get("text", "") + json.dumps(call.params.get("blocks") or [],
                                                    ensure_ascii=False)  # fmt: skip


def card_ts(run: Running, escalation_id: int = 1, timeout: float = 10.0) -> str:
    """The card's ts once the app recorded where it was posted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ts = run.services.handoff.card(escalation_id).agent_thread_ts
        except NotFoundError:  # not raised yet: Slack got its 200 before the work
            ts = None
        if ts:
            return ts
        time.sleep(0.05)
    raise AssertionError(f"the card of escalation {escalation_id} was never posted")


def card_update(run: Running, needle: str) -> Call:
    """The latest chat.update of a card saying `needle` (waits for it)."""
    return run.fake.wait_for("chat.update", where=lambda c: needle in text_of(c))[-1]


def to_customer(run: Running, needle: str, channel: str = DM) -> Call:
    return run.fake.wait_for(
        "chat.postMessage", where=lambda c: c.params["channel"] == channel
        and needle in text_of(c),
    )[-1]  # fmt: skip


def escalated(run: Running) -> str:
    """A customer asks for a person in a DM; the card's ts."""
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL)
    return card_ts(run)


def test_reactions_claim_and_resolve_and_the_customer_rates_once(running: Running) -> None:
    run = running
    ts = escalated(run)
    run.slack.send_event(reaction_event(AGENT_A, "eyes", AGENTS_CHANNEL, ts))
    card_update(run, f"With <@{AGENT_A}>")
    to_customer(run, "joined")
    # Someone else's :eyes: on a claimed card is told who has it; :+1: on it does nothing.
    run.slack.send_event(reaction_event(AGENT_B, "eyes::skin-tone-3", AGENTS_CHANNEL, ts))
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == AGENT_B and AGENT_A in refusal.params["text"]
    run.slack.send_event(reaction_event(AGENT_A, "+1", AGENTS_CHANNEL, ts))

    run.slack.send_event(reaction_event(AGENT_A, "white_check_mark", AGENTS_CHANNEL, ts))
    card_update(run, "*Resolved*")
    to_customer(run, "handed you back")
    question = to_customer(run, "Did we solve your problem?")
    satisfied = next(e for b in question.params["blocks"] for e in b.get("elements", [])
                     if e.get("action_id") == "csat_satisfied")  # fmt: skip
    question_ts = "1700000999.000100"
    # Only the conversation's customer may answer, and the first answer stands.
    run.slack.send_action(block_action("csat_unsatisfied", satisfied["value"], AGENT_B,
                                       channel=DM, message_ts=question_ts))  # fmt: skip
    run.fake.wait_for("chat.postEphemeral", 2)
    run.slack.send_action(block_action("csat_satisfied", satisfied["value"], CUSTOMER,
                                       channel=DM, message_ts=question_ts))  # fmt: skip
    [thanks] = run.fake.wait_for("chat.update", where=lambda c: c.params.get("ts") == question_ts)
    assert thanks.params["channel"] == DM and "Thank you" in thanks.params["text"]
    run.slack.send_action(block_action("csat_unsatisfied", satisfied["value"], CUSTOMER,
                                       channel=DM, message_ts=question_ts))  # fmt: skip
    time.sleep(0.5)
    now = datetime.now(UTC)
    with run.services.store.unit_of_work() as uow:
        counts = uow.repo.satisfaction_counts(now - timedelta(hours=1), now + timedelta(hours=1))
    assert counts == {run.services.handoff.card(1).stage: (1, 1)}
    assert len(run.fake.calls_to("chat.update")) == len(
        [c for c in run.fake.calls_to("chat.update") if c.params.get("ts") != question_ts]
    ) + 1  # thanked once


def test_unclaim_and_reassign_follow_who_holds_it(running: Running) -> None:
    run = running
    ts = escalated(run)
    run.slack.send_action(block_action("claim_escalation", "1", AGENT_A, channel=AGENTS_CHANNEL,
                                       message_ts=ts))  # fmt: skip
    card_update(run, f"With <@{AGENT_A}>")
    # Only the holder (or a lead) may hand it on.
    run.slack.send_action(block_action("unclaim_escalation", "1", AGENT_B,
                                       channel=AGENTS_CHANNEL, message_ts=ts))  # fmt: skip
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == AGENT_B and "has this conversation" in refusal.params["text"]
    # Reassigning to someone who is no agent is refused; to Bruno, the customer is told.
    run.slack.send_action(user_select_action("reassign_escalation", "holder:1", CUSTOMER,
                                             AGENT_A, AGENTS_CHANNEL, ts))  # fmt: skip
    run.fake.wait_for("chat.postEphemeral", 2)
    run.slack.send_action(user_select_action("reassign_escalation", "holder:1", AGENT_B,
                                             AGENT_A, AGENTS_CHANNEL, ts))  # fmt: skip
    card_update(run, f"With <@{AGENT_B}>")
    to_customer(run, f"<@{AGENT_B}>")
    # Bruno's thread reply reaches the customer now; Anna's stays a note.
    run.slack.send_event(message_event(AGENT_A, "note from anna", AGENTS_CHANNEL,
                                       channel_type="channel", thread_ts=ts))  # fmt: skip
    run.slack.send_event(message_event(AGENT_B, "Bruno here, looking now", AGENTS_CHANNEL,
                                       channel_type="channel", thread_ts=ts))  # fmt: skip
    to_customer(run, "Bruno here")
    assert not run.posts(DM, where=lambda c: "note from anna" in c.params.get("text", ""))
    # A lead unclaims: the card asks for a person again, with its Claim button.
    run.slack.send_action(block_action("unclaim_escalation", "1", LEAD, channel=AGENTS_CHANNEL,
                                       message_ts=ts))  # fmt: skip
    back = card_update(run, "Waiting for a person")
    assert "claim_escalation" in text_of(back)
    assert run.services.handoff.card(1).assigned_agent is None


def test_the_card_shows_when_the_customer_waits_and_when_they_are_answered(
    running: Running,
) -> None:
    run = running
    ts = escalated(run)
    run.slack.send_action(block_action("claim_escalation", "1", AGENT_A, channel=AGENTS_CHANNEL,
                                       message_ts=ts))  # fmt: skip
    card_update(run, f"With <@{AGENT_A}>")
    run.slack.send_event(message_event(AGENT_A, "Hello, how can I help?", AGENTS_CHANNEL,
                                       channel_type="channel", thread_ts=ts))  # fmt: skip
    answered = card_update(run, "answered, nothing waiting")
    assert answered.params["ts"] == ts and answered.params["channel"] == AGENTS_CHANNEL
    run.slack.send_event(message_event(CUSTOMER, "my order 1234 never arrived", DM))
    waiting = card_update(run, "my order 1234 never arrived")  # the last messages, updated
    assert "the customer is waiting since <!date^" in text_of(waiting)


@pytest.mark.slack_settings(triage_routes=(Route("stage", "purchase", SALES_CHANNEL),))
def test_routing_sends_buyers_cards_to_the_sales_channel(running: Running) -> None:
    run = running
    run.slack.send_event(message_event(CUSTOMER, "I want to buy, how do I pay with paypal?", DM))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == DM)
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    [card] = run.fake.wait_for("chat.postMessage",
                               where=lambda c: c.params["channel"] == SALES_CHANNEL)  # fmt: skip
    assert "Purchase" in text_of(card)
    assert not run.posts(AGENTS_CHANNEL)
    ts = card_ts(run)
    run.slack.send_event(reaction_event(AGENT_A, "eyes", SALES_CHANNEL, ts))
    card_update(run, f"With <@{AGENT_A}>")
    run.slack.send_event(message_event(AGENT_A, "Sales here: PayPal works at step 3", SALES_CHANNEL,
                                       channel_type="channel", thread_ts=ts))  # fmt: skip
    to_customer(run, "Sales here")


@pytest.mark.slack_settings(triage_routes=(Route("stage", "purchase", SALES_CHANNEL),))
def test_a_customer_outside_purchase_still_goes_to_the_agents_channel(running: Running) -> None:
    run = running
    run.slack.send_event(message_event(CUSTOMER, "I want to talk to a person", DM))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == AGENTS_CHANNEL)
    assert not run.posts(SALES_CHANNEL)


def test_escalate_to_support_from_a_message_in_a_customer_channel(running: Running) -> None:
    run = running
    asked = new_ts()
    run.slack.send_event(message_event(CUSTOMER, "can I change the delivery address?",
                                       CUSTOMER_CHANNEL, channel_type="channel", ts=asked))
    run.fake.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CUSTOMER_CHANNEL)
    message = {"type": "message", "user": CUSTOMER, "ts": asked, "team": "T1",
               "text": "can I change the delivery address?"}  # fmt: skip
    # Another customer may not escalate someone else's message.
    run.slack.send_action(message_shortcut("escalate_to_support", "UOTHER", CUSTOMER_CHANNEL,
                                           message))  # fmt: skip
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == "UOTHER"
    assert not run.posts(AGENTS_CHANNEL)
    run.slack.send_action(message_shortcut("escalate_to_support", AGENT_A, CUSTOMER_CHANNEL,
                                           message))  # fmt: skip
    [card] = run.fake.wait_for("chat.postMessage",
                               where=lambda c: c.params["channel"] == AGENTS_CHANNEL)  # fmt: skip
    assert "escalated a message by hand" in text_of(card)
    assert "delivery address" in text_of(card)
    handover = to_customer(run, "asked a person", CUSTOMER_CHANNEL)
    assert handover.params["thread_ts"] == asked
    # Twice is refused with the escalation's number, not a second card.
    run.slack.send_action(message_shortcut("escalate_to_support", AGENT_A, CUSTOMER_CHANNEL,
                                           message))  # fmt: skip
    [_, again] = run.fake.wait_for("chat.postEphemeral", 2)
    assert "#1" in again.params["text"]
    assert len(run.posts(AGENTS_CHANNEL, where=lambda c: "thread_ts" not in c.params)) == 1


def test_escalate_to_support_outside_customer_channels_is_explained(running: Running) -> None:
    run = running
    message = {"type": "message", "user": AGENT_A, "ts": new_ts(), "text": "hello"}
    run.slack.send_action(message_shortcut("escalate_to_support", AGENT_A, "CRANDOM", message))
    [refusal] = run.fake.wait_for("chat.postEphemeral")
    assert "customer channels" in refusal.params["text"]
